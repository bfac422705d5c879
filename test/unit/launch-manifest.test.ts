import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { debugSnippets, instrumentDebugConfiguration, type DebugConfigLike } from '../../src/launch/debugLaunch';
import { INSTRUMENTED_DEBUG_TYPES } from '../../src/launch/debugLaunch';
import { readInstrumentMode, readInstrumentTerminals } from '../../src/host/settings';
import { readProbeSettings } from '../../src/host/settings';

// out/test/unit → the project root.
const ROOT = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  activationEvents: string[];
  contributes: {
    commands: { command: string }[];
    debuggers: unknown;
    viewsWelcome: { view: string; when: string; contents: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, { default?: unknown }> };
  };
  capabilities: { untrustedWorkspaces: { supported: boolean | 'limited'; restrictedConfigurations?: string[] } };
};

describe('package.json contributes what the launch integration registers', () => {
  it('the debuggers contribution is exactly debugSnippets()', () => {
    assert.deepEqual(pkg.contributes.debuggers, debugSnippets());
  });

  it('activates on resolving every debug type the provider serves (F5 before startup finished)', () => {
    for (const type of INSTRUMENTED_DEBUG_TYPES) assert.ok(pkg.activationEvents.includes(`onDebugResolve:${type}`), type);
  });

  it('declares every command these files register', () => {
    const declared = new Set(pkg.contributes.commands.map((c) => c.command));
    const files = ['src/extension.ts', 'src/commands/terminalCommands.vscode.ts', 'src/commands/probe.vscode.ts'];
    const registered = files.flatMap((f) => [...fs.readFileSync(path.join(ROOT, f), 'utf8').matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]));
    assert.deepEqual(registered.sort(), ['zmqTopology.openInstrumentedTerminal', 'zmqTopology.probeEndpoint', 'zmqTopology.removeProbe', 'zmqTopology.showDebugSession']);
    for (const id of registered) assert.ok(declared.has(id), `${id} is not in contributes.commands`);
  });

  it('settings defaults are what the readers assume when nothing is set', () => {
    const props = pkg.contributes.configuration.properties;
    assert.equal(props['zmqTopology.instrumentDebugSessions'].default, readInstrumentMode(undefined));
    assert.equal(props['zmqTopology.instrumentTerminals'].default, readInstrumentTerminals(undefined));
    assert.deepEqual(props['zmqTopology.probes'].default, []);
    assert.deepEqual(readProbeSettings(props['zmqTopology.probes'].default), { probes: [], warnings: [] });
  });

  it('the empty view offers Open Instrumented Terminal as a button (a link alone on its line)', () => {
    const idle = pkg.contributes.viewsWelcome.find((w) => w.when === 'zmqTopology.collectorRunning && !zmqTopology.hasNodes');
    assert.ok(idle?.contents.split('\n').includes('[Open Instrumented Terminal](command:zmqTopology.openInstrumentedTerminal)'));
  });

  it('untrusted workspaces: limited support, and a workspace cannot set what injects, probes or exposes the collector', () => {
    const untrusted = pkg.capabilities.untrustedWorkspaces;
    assert.equal(untrusted.supported, 'limited');
    const restricted = new Set(untrusted.restrictedConfigurations ?? []);
    const props = pkg.contributes.configuration.properties;
    for (const key of restricted) assert.ok(key in props, `${key} is restricted but not a setting`);
    for (const key of ['zmqTopology.instrumentDebugSessions', 'zmqTopology.instrumentTerminals', 'zmqTopology.probes', 'zmqTopology.collector.address', 'zmqTopology.collector.allowedClientKeys']) {
      assert.ok(restricted.has(key), `${key} must be a restricted configuration`);
    }
  });

  it('Show Debug Session is on process items of the tree', () => {
    const item = pkg.contributes.menus['view/item/context'].find((m) => m.command === 'zmqTopology.showDebugSession');
    assert.match(item?.when ?? '', /viewItem =~ \/\\bnode\\b\//);
  });
});

describe('examples/demo/.vscode/launch.json: F5 on "Demo system" shows the whole system', () => {
  const demo = path.join(ROOT, 'examples', 'demo');
  const launch = JSON.parse(fs.readFileSync(path.join(demo, '.vscode', 'launch.json'), 'utf8')) as {
    configurations: (DebugConfigLike & { program: string; args?: string[] })[];
    compounds: { name: string; configurations: string[] }[];
  };

  const WATCHER = 'status-watcher (no agent)';

  it('a compound starts broker, three workers and a client, each a flagged Node launch of an existing script, and a status watcher without the flag', () => {
    const compound = launch.compounds.find((c) => c.name === 'Demo system');
    assert.deepEqual(compound?.configurations, ['broker', 'worker-1', 'worker-2', 'worker-3', 'client-1', WATCHER]);
    for (const name of compound?.configurations ?? []) {
      const config = launch.configurations.find((c) => c.name === name);
      assert.ok(config, name);
      assert.equal(config.type, 'node');
      assert.equal(config.request, 'launch');
      assert.equal(config.zmqTopology, name === WATCHER ? undefined : true, name);
      assert.ok(fs.existsSync(config.program.replace('${workspaceFolder}', demo)), config.program);
    }
  });

  it('each process is named after its configuration, and routes by that name too', () => {
    for (const config of launch.configurations) {
      const { config: resolved, instrumented } = instrumentDebugConfiguration(config, {
        mode: 'flagged', trusted: true, endpoint: 'tcp://127.0.0.1:5599', nodeAgent: '/ext/dist/agent.js', pythonAgentDir: '/ext/agents/python',
      });
      if (config.name === WATCHER) {
        assert.equal(instrumented, false, 'the watcher runs without the agent: a peer without an agent on the broker\'s PUB');
        continue;
      }
      assert.equal(instrumented, true, config.name);
      assert.equal(resolved.env?.ZMQ_TOPOLOGY_NODE, config.name);
      // worker.js / client.js use argv[2] as their routing id: the graph's peer names match the nodes.
      if (config.name !== 'broker') assert.deepEqual(config.args, [config.name]);
    }
  });
});
