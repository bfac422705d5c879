/**
 * The project's lint rules (eslint/layers.mjs) fail on what docs/ARCHITECTURE.md forbids: an import
 * that runs up a layer or sideways, `vscode` outside a *.vscode.ts adapter, zeromq loaded beside the
 * one loader. Each case lints a small text as if it were a file at that path in the repository.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: ROOT });

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId?.startsWith('project/')).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('lint: layers point one way', () => {
  test('an import up a layer fails', async () => {
    const found = await problems('src/model/upward.ts', "import { statusSummary } from '../views/statusBar';\nexport const x = statusSummary;\n");
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0], /project\/layers: src\/model may not import src\/views/);
  });

  test('sideways between views and launch, and a type-only import up, fail too', async () => {
    assert.equal((await problems('src/views/side.ts', "import { terminalEnvPlan } from '../launch/instrumentedTerminals';\nexport const x = terminalEnvPlan;\n")).length, 1);
    assert.equal((await problems('src/protocol/up.ts', "import type { StoreOptions } from '../model/store';\nexport type X = StoreOptions;\n")).length, 1);
    assert.equal((await problems('src/shared/up.ts', "export type { Settings } from '../host/settings';\n")).length, 1);
  });

  test('the webview reaches the host only through src/shared', async () => {
    assert.equal((await problems('webview/reach.ts', "import { TopologyStore } from '../src/model/store';\nexport const x = TopologyStore;\n")).length, 1);
    assert.deepEqual(await problems('webview/fine.ts', "import { formatAge } from '../src/shared/format';\nexport const x = formatAge;\n"), []);
  });

  test('imports down the layers pass', async () => {
    assert.deepEqual(await problems('src/commands/down.vscode.ts', "import * as vscode from 'vscode';\nimport { GraphPanel } from '../views/graphPanel.vscode';\nimport { readSettings } from '../host/settings';\nexport const x = [vscode, GraphPanel, readSettings];\n"), []);
    assert.deepEqual(await problems('src/collector/down.ts', "import { TopologyStore } from '../model/store';\nexport const x = TopologyStore;\n"), []);
  });
});

describe('lint: where vscode and zeromq are imported', () => {
  test("'vscode' outside a *.vscode.ts adapter fails", async () => {
    const found = await problems('src/views/pure.ts', "import * as vscode from 'vscode';\nexport const x = vscode;\n");
    assert.equal(found.length, 1);
    assert.match(found[0], /project\/vscode-adapters/);
    assert.deepEqual(await problems('src/views/pure.vscode.ts', "import * as vscode from 'vscode';\nexport const x = vscode;\n"), []);
  });

  test('a value import of zeromq beside the loader fails; a type import does not', async () => {
    const found = await problems('src/probe/direct.ts', "import * as zmq from 'zeromq';\nexport const x = zmq;\n");
    assert.equal(found.length, 1);
    assert.match(found[0], /project\/one-zeromq-loader/);
    assert.deepEqual(await problems('src/probe/typed.ts', "import type * as Zmq from 'zeromq';\nexport type X = Zmq.Dealer;\n"), []);
  });
});
