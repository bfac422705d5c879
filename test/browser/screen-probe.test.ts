/**
 * The screen benchmark's probe (bench/lib/screenProbe.ts) against the real webview bundle: it must
 * see the host's messages and the edges' state classes the graph draws, or `npm run bench -- --only
 * screen` would time out in VS Code minutes later (e.g. after a change of the graph's DOM).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { TopologyDiff, TopologySnapshot } from '../../src/shared/snapshot';
import type { HostMessage } from '../../src/shared/messages';
import { installProbe, takeRecords, type ProbeRecords } from '../../bench/lib/screenProbe';
import { CHROMIUM_ARGS, ensureBundle, ROOT, startWebviewServer, type WebviewServer } from './webviewPage';

const recorded = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'webview', 'snapshot.json'), 'utf8')) as { snapshot: TopologySnapshot };

let browser: Browser;
let server: WebviewServer;

before(async () => {
  ensureBundle();
  server = await startWebviewServer();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the screen probe stamps the diff that disconnects an edge, then the edge\'s class change and its frame', { timeout: 60_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(server.url);
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  const frame = page.mainFrame();
  assert.equal(await installProbe(frame), true);
  assert.equal(await installProbe(frame), false, 'installed once per document');
  const post = (message: HostMessage) => page.evaluate((m) => window.postMessage(m, '*'), message);
  const records: ProbeRecords = { messages: [], transitions: [] };
  const pollUntil = async (done: () => boolean) => {
    for (const deadline = Date.now() + 20_000; !done(); await new Promise((r) => setTimeout(r, 50))) {
      assert.ok(Date.now() < deadline, `not seen in 20 s: ${JSON.stringify(records).slice(0, 2000)}`);
      const taken = await takeRecords(frame);
      records.messages.push(...taken.messages);
      records.transitions.push(...taken.transitions);
    }
  };

  await post({ type: 'snapshot', snapshot: recorded.snapshot });
  const edge = recorded.snapshot.edges.find((e) => e.state === 'connected');
  assert.ok(edge, 'the fixture has a connected edge');
  await pollUntil(() => records.transitions.some((t) => t.id === edge.id && t.state === 'connected'));
  assert.equal(records.messages[0]?.type, 'snapshot');
  assert.ok(records.messages[0].nodes.length > 0 && records.messages[0].sockets.length > 0, 'nodes and sockets kept (pid → edge lookup)');

  const diff: TopologyDiff = { takenAt: Date.now(), edges: [{ ...edge, state: 'disconnected', lastDisconnect: { at: Date.now() - 5, message: 'GONE', reason: 'peer process exited' } }] };
  await post({ type: 'diff', diff });
  await pollUntil(() => records.transitions.some((t) => t.id === edge.id && t.state === 'disconnected' && t.paintedAt !== null));
  const message = records.messages.find((m) => m.type === 'diff' && m.edges.some((e) => e.id === edge.id && e.state === 'disconnected'));
  assert.ok(message, 'the diff was seen');
  assert.equal(message.takenAt, diff.takenAt);
  assert.equal(message.edges[0].lastDisconnectAt, diff.edges?.[0].lastDisconnect?.at);
  const shown = records.transitions.find((t) => t.id === edge.id && t.state === 'disconnected');
  assert.ok(shown && shown.paintedAt !== null);
  assert.ok(message.at <= shown.at && shown.at <= shown.paintedAt, `message ${message.at} ≤ class ${shown.at} ≤ frame ${shown.paintedAt}`);
  await page.close();
});
