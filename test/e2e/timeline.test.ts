/**
 * The timeline in real VS Code (issue 16): the packaged extension in code-server, the demo's broker
 * and two workers started with the agent environment the extension prints, worker-1 killed with
 * SIGKILL. Then, through the graph's timeline bar (keyboard, as a user scrubs): the live graph's
 * in-memory ring goes back to before the kill (worker-1's edge connected, no badge) and forward to
 * after it (disconnected, ⊘ WORKER_GONE) without following live, and L goes back to live.
 * "ZeroMQ: Save Last N Minutes…" writes the ring to a file (save dialog) that replays in Node the same
 * way, and its notification's Open Recording opens the file in the recording editor, where the same
 * scrub shows the same before and after.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { Replay } from '../../src/recording/replay';
import type { EdgeView } from '../../src/shared/snapshot';
import { DemoSystem, freePortRun, parseShellExports, type DemoProcess } from './demoProcesses';
import { edgeState as stateOf, ensureVsix, graphEdges, installedExtension, Phases, testFailed, waitFor, Workbench, type GraphEdge } from './harness';

const CHANNEL = 'ZeroMQ Topology';
const phases = new Phases();
let workbench: Workbench | undefined;
let demo: DemoSystem | undefined;
const procs: Record<string, DemoProcess> = {};
let graph: Frame | undefined;
/** worker-1's connection to the broker, and when it was killed (this machine's clock, the collector's too). */
let edgeId = '';
let killedAt = 0;

function opened(): Workbench {
  assert.ok(workbench, 'the workbench did not start (see the before hook)');
  return workbench;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  const vsix = await phases.time('package the .vsix (reused while fresh)', () => ensureVsix());
  workbench = await phases.time('start code-server with the .vsix + chromium', () => Workbench.start({
    name: 'timeline', vsix, settings: { 'zmqTopology.collector.port': 0, 'zmqTopology.recording.ringMinutes': 10 },
  }));
  try {
    await phases.time('load the workbench', () => opened().openWorkbench());
  } catch (error) {
    await workbench.captureFailure('load-workbench');
    throw error;
  }
}, { timeout: 10 * 60 * 1000 });

afterEach(async (context) => {
  if (testFailed(context)) await workbench?.captureFailure(context.name);
});

after(async () => {
  await phases.time('stop the demo processes', async () => demo?.stop());
  await phases.time('stop code-server and chromium', async () => workbench?.close());
  phases.print();
}, { timeout: 60000 });

/** worker-1's edge as drawn in `frame`. */
async function edgeIn(frame: Frame): Promise<GraphEdge | undefined> {
  return (await graphEdges(frame)).find((e) => e.id === edgeId);
}

const isBefore = (e: GraphEdge | undefined) => e !== undefined && stateOf(e) === 'connected' && e.badge === null;
const isAfter = (e: GraphEdge | undefined) => e !== undefined && stateOf(e) === 'disconnected' && e.badge === '⊘ WORKER_GONE';

/** The bar's state: following live, and the instant as an offset from its start (aria-valuenow). */
async function bar(frame: Frame): Promise<{ following: boolean; now: number; instant: string }> {
  return frame.evaluate(() => {
    const track = document.querySelector('#timeline-track')!;
    return {
      following: track.classList.contains('following'),
      now: Number(track.getAttribute('aria-valuenow')),
      instant: document.querySelector('#timeline .timeline-instant')?.textContent ?? '',
    };
  });
}

/**
 * Presses `key` on the focused timeline until worker-1's edge, as the picture of that instant draws
 * it, satisfies `ok` (each press is a seek; the host answers with the snapshot). Returns the bar then.
 */
async function scrubUntil(frame: Frame, key: string, ok: (e: GraphEdge | undefined) => boolean, what: string, presses = 60) {
  const seen: string[] = [];
  for (let i = 0; i < presses; i++) {
    await frame.focus('#timeline-track');
    await frame.press('#timeline-track', key);
    await sleep(350);
    const e = await edgeIn(frame);
    const b = await bar(frame);
    seen.push(`${b.instant}: ${e ? `${stateOf(e)} ${e.badge ?? ''}` : 'no edge'}`);
    if (ok(e) && !b.following) return { ...b, presses: i + 1 };
  }
  throw new Error(`${presses} × ${key} never showed ${what}:\n${seen.join('\n')}`);
}

test('the live graph\'s timeline scrubs to before and after a worker\'s kill -9: the edge\'s state and WORKER_GONE follow', { timeout: 240000 }, async () => {
  const wb = opened();
  const log = await phases.time('agent environment from the Output channel', () => wb.waitForOutputLog(CHANNEL,
    /Collector listening on tcp:\/\/[\d.]+:\d+[\s\S]*Instrument a process by starting it with this environment[\s\S]*^export NODE_OPTIONS=.*$/m, 60000));
  const env = parseShellExports(log.slice(log.lastIndexOf('Instrument a process by starting it with this environment')));
  demo = new DemoSystem(path.join(installedExtension(wb), 'examples', 'demo'), env, await freePortRun(3));
  const system = demo;
  await phases.time('start broker, worker-1, worker-2', async () => {
    procs.broker = system.start('broker', 'broker.js');
    await system.waitForOutput(procs.broker, /\[broker\] frontend tcp:/);
    for (const name of ['worker-1', 'worker-2']) procs[name] = system.start(name, 'worker.js');
  });
  const worker = procs['worker-1']!;

  await phases.time('palette → ZeroMQ: Show Topology Graph', () => wb.runCommand('ZeroMQ: Show Topology Graph'));
  graph = await phases.time('graph webview with its timeline', () => wb.findWebviewFrame('#timeline:not([hidden]) #timeline-track.following', 60000));
  const frame = graph;
  assert.equal(await frame.locator('#timeline .timeline-title').textContent(), 'last 10 min');
  const connected = await phases.time('worker-1\'s edge connected', () => waitFor('worker-1\'s connection to the broker drawn connected', async () => {
    const edges = await graphEdges(frame);
    return edges.find((e) => e.id.split('->')[0]!.includes(`:${worker.pid}:`) && stateOf(e) === 'connected');
  }, async () => JSON.stringify(await graphEdges(frame), null, 1), 60000));
  edgeId = connected.id;

  await sleep(3000); // the ring holds a few seconds of worker-1 connected
  killedAt = Date.now();
  process.kill(worker.pid, 'SIGKILL');
  await phases.time('live: ⊘ WORKER_GONE after the kill', () => waitFor('the live graph shows worker-1\'s edge disconnected with WORKER_GONE',
    async () => (isAfter(await edgeIn(frame)) ? true : undefined), async () => JSON.stringify(await edgeIn(frame)), 30000));
  await sleep(2000);

  // From live, back to the last event (the kill), then step back until the picture is from before it.
  await frame.focus('#timeline-track');
  await frame.press('#timeline-track', 'PageUp');
  const beforeKill = await phases.time('scrub back to before the kill', () => scrubUntil(frame, 'ArrowLeft', isBefore, 'worker-1 connected without a badge'));
  console.log(`[e2e] before the kill at ${beforeKill.instant} (${beforeKill.presses} steps back)`);
  assert.equal(beforeKill.following, false);
  await frame.press('#timeline-track', 'm'); // the mark to compare with
  const afterKill = await phases.time('scrub forward to after the kill', () => scrubUntil(frame, 'ArrowRight', isAfter, 'worker-1 disconnected with ⊘ WORKER_GONE'));
  console.log(`[e2e] after the kill at ${afterKill.instant} (${afterKill.presses} steps forward)`);
  assert.ok(afterKill.now > beforeKill.now, 'later on the bar');

  // Compare… between the mark (before) and here (after): the host's list names the edge and why it went.
  await frame.click('#timeline-compare');
  const changes = await phases.time('Compare… lists the change', () => waitFor('the comparison lists worker-1\'s connection going down with WORKER_GONE', async () => {
    const items = await frame.locator('#timeline .comparison-item').allTextContents();
    return items.some((t) => /worker-1 → broker: connected → disconnected \(WORKER_GONE\)/.test(t)) ? items : undefined;
  }, async () => JSON.stringify(await frame.locator('#timeline .comparison').innerText().catch(() => '')), 15000));
  console.log(`[e2e] comparison: ${changes.join(' | ')}`);
  assert.ok(changes.some((t) => /worker-1 \(pid \d+\): live → exited/.test(t)), 'and the process exit');

  await frame.press('#timeline-track', 'l');
  await waitFor('L follows the live graph again', async () => ((await bar(frame)).following ? true : undefined), async () => JSON.stringify(await bar(frame)), 10000);
  assert.ok(isAfter(await edgeIn(frame)), 'live, the edge is still gone');
});

test('Save Last N Minutes writes the ring to a recording that replays, and Open Recording scrubs it the same way', { timeout: 240000 }, async () => {
  const wb = opened();
  assert.ok(edgeId, 'the first test found worker-1\'s edge');
  const file = path.join(wb.workspace, 'last-minutes.zmqrec');
  await phases.time('palette → ZeroMQ: Save Last N Minutes…', () => wb.runCommand('ZeroMQ: Save Last N Minutes…'));
  await phases.time('save dialog', () => wb.answerSaveDialog(file));
  await waitFor(`the ring is written to ${file}`, async () => (fs.existsSync(file) && fs.statSync(file).size > 0 ? true : undefined), () => '', 15000);
  await wb.notification(/saved the last \d+ s/);

  // The file, replayed in Node: connected before the kill, gone after it with the broker's message.
  const replay = Replay.open(file);
  assert.equal(replay.recording.problem, undefined);
  assert.equal(replay.recording.end?.reason, 'saved from the live ring');
  const edge = (t: number): EdgeView | undefined => replay.snapshotAt(t).edges.find((e) => e.id === edgeId);
  assert.equal(edge(killedAt - 1000)?.state, 'connected');
  assert.equal(edge(replay.endAt)?.state, 'disconnected');
  assert.equal(edge(replay.endAt)?.lastDisconnect?.message, 'WORKER_GONE');

  await phases.time('Open Recording from the notification', () => wb.clickNotificationButton(/saved the last \d+ s/, 'Open Recording'));
  const frame = await phases.time('the recording editor\'s graph', async () => waitFor('a webview whose timeline is the saved file', async () => {
    for (const f of wb.page.frames()) {
      const title = await f.locator('#timeline:not([hidden]) .timeline-title').textContent({ timeout: 200 }).catch(() => null);
      if (title === 'last-minutes.zmqrec') return f;
    }
    return undefined;
  }, () => '', 60000));
  // A recording opens at its end: how things were left.
  await waitFor('the recording shows worker-1 gone at its end', async () => (isAfter(await edgeIn(frame)) ? true : undefined), async () => JSON.stringify(await edgeIn(frame)), 30000);
  await frame.focus('#timeline-track');
  await frame.press('#timeline-track', 'PageUp');
  await scrubUntil(frame, 'ArrowLeft', isBefore, 'worker-1 connected without a badge in the recording');
  await scrubUntil(frame, 'ArrowRight', isAfter, 'worker-1 gone with ⊘ WORKER_GONE in the recording');
});

test('Start Recording while the system runs, REC in the status bar, Stop Recording: the file holds the processes started before it', { timeout: 240000 }, async () => {
  const wb = opened();
  const file = path.join(wb.workspace, 'started-late.zmqrec');
  const startedAt = Date.now();
  await phases.time('palette → ZeroMQ: Start Recording…', () => wb.runCommand('ZeroMQ: Start Recording…'));
  await phases.time('save dialog', () => wb.answerSaveDialog(file));
  let rec = { text: '', ariaLabel: '' };
  await waitFor('the status bar shows REC and the size', async () => {
    rec = await wb.statusBarItem('zmqTopology.recording').catch(() => rec);
    return /^REC \d+(\.\d)? (B|KiB|MiB)$/.test(rec.text) ? true : undefined;
  }, () => JSON.stringify(rec), 15000);
  console.log(`[e2e] status bar: "${rec.text}"`);
  await sleep(2500);
  await phases.time('palette → ZeroMQ: Stop Recording', () => wb.runCommand('ZeroMQ: Stop Recording'));
  await wb.notification(/recorded .* to started-late\.zmqrec/);
  const replay = Replay.open(file);
  assert.equal(replay.recording.problem, undefined);
  assert.equal(replay.recording.end?.reason, 'stopped');
  assert.ok(replay.startAt >= startedAt - 1000, 'instant 0 is when recording started');
  const s = replay.snapshotAt(replay.startAt + 1000);
  const worker2 = s.nodes.find((n) => n.name === 'worker-2');
  assert.equal(worker2?.pid, procs['worker-2']!.pid, 'worker-2, running since before the recording, is in it (the ring\'s inputs come first)');
  assert.equal(worker2?.state, 'live');
  assert.equal(s.edges.find((e) => e.id === edgeId)?.lastDisconnect?.message, 'WORKER_GONE', 'and worker-1\'s earlier end');
});
