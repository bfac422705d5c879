/**
 * Reload and restart never strand the agents (issue 14), in real VS Code: the demo started by
 * "ZeroMQ: Start Demo" keeps reporting while (a) the window reloads and (b) the browser tab is closed
 * and a new one opened on the same code-server; each time a new extension host starts its collector
 * on the configured port (the old host may hold it for a moment: the collector retries it, and agents
 * follow a fallback through the rendezvous note, docs/RELIABILITY.md) and the graph must show the demo
 * again within BACK_WITHIN_MS of the new window's extension host and graph webview being up (the time
 * VS Code takes to get there is printed too). (c) Start Demo while the demo runs offers to show it or
 * to start another on free ports; another starts, and the first demo's graph stays as it was, with no
 * unknown peers.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { DEMO_BASE_PORT, demoPortsFree } from '../../src/commands/demo';
import { freePortRun } from './demoProcesses';
import {
  edgeState, ensureVsix, graphEdges, graphGroups, installedExtension, Phases, processesIn, processRunning, ROOT, testFailed, waitFor,
  Workbench, type GraphEdge,
} from './harness';

const CHANNEL = 'ZeroMQ Topology';
/** The issue's bound: the graph shows the demo again within 5 s of the window being back. */
const BACK_WITHIN_MS = 5000;
/** The demo's processes that run.js starts once (worker-flaky is restarted, so its pid changes). */
const STEADY = ['broker', 'worker-1', 'worker-2', 'worker-3', 'client-1', 'client-2'];
const WORKERS = ['worker-1', 'worker-2', 'worker-3'];
const HEARTBEAT = /^♥ \d+(\.\d)?s\b/;

const phases = new Phases();
let workbench: Workbench | undefined;
let extension = '';
/** The first demo as the graph showed it: process name → pid, and its workers' connected edges. */
let demo: { pids: Map<string, number>; workerEdges: string[] } | undefined;
const timings: string[] = [];

function opened(): Workbench {
  assert.ok(workbench, 'the workbench did not start (see the before hook)');
  return workbench;
}

function firstDemo(): NonNullable<typeof demo> {
  assert.ok(demo, 'the demo was not started (see the first test)');
  return demo;
}

interface Picture {
  /** "name (pid N)" of every process box. */
  groups: string[];
  edges: GraphEdge[];
  /** Sockets drawn as unknown peers (a ROUTER peer no instrumented socket explains). */
  unknownPeers: number;
  /** Placeholders of peers without an agent (the demo's status watcher runs without one). */
  withoutAgent: number;
}

async function picture(frame: Frame): Promise<Picture> {
  const [groups, edges, unknownPeers, withoutAgent] = await Promise.all([
    graphGroups(frame), graphEdges(frame), frame.locator('#graph g.socket.unknown:not(.without-agent)').count(),
    frame.locator('#graph g.socket.without-agent').count(),
  ]);
  return { groups, edges, unknownPeers, withoutAgent };
}

/** The pids the graph shows for `name` ("name (pid N)" boxes). */
function pidsOf(p: Picture, name: string): number[] {
  const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(pid (\\d+)\\)$`);
  return p.groups.map((g) => pattern.exec(g)?.[1]).filter((pid): pid is string => pid !== undefined).map(Number);
}

/**
 * The demo whose broker is `brokerPid` (or any broker) as the graph shows it: every steady process,
 * and one connected, heartbeating edge per worker DEALER; undefined while it is not all there. With
 * two demos the workers are told apart by their edges' ends (the broker's backend ROUTER).
 */
function demoShown(p: Picture, expected?: Map<string, number>): { pids: Map<string, number>; workerEdges: string[] } | undefined {
  const pids = new Map<string, number>();
  for (const name of STEADY) {
    const shown = pidsOf(p, name);
    const pid = expected ? shown.find((x) => x === expected.get(name)) : shown.length === 1 ? shown[0] : undefined;
    if (pid === undefined) return undefined;
    pids.set(name, pid);
  }
  const beating = p.edges.filter((e) => edgeState(e) === 'connected' && HEARTBEAT.test(e.age));
  // An edge's id starts with its connecting socket's id, which starts with its process's: host:pid:instance/n->…
  const workerEdges = WORKERS.map((name) => beating.find((e) => new RegExp(`^[^:>]*:${pids.get(name)}:`).test(e.id))?.id);
  if (workerEdges.some((id) => id === undefined)) return undefined;
  return { pids, workerEdges: workerEdges as string[] };
}

async function graphFrame(wb: Workbench): Promise<Frame> {
  return wb.findWebviewFrame('#graph', 60000);
}

/** Waits until the graph shows the first demo again: the same processes (pids) and its workers beating. */
async function waitForDemo(wb: Workbench, frame: Frame, what: string): Promise<Picture> {
  const expected = firstDemo().pids;
  let last: Picture = { groups: [], edges: [], unknownPeers: 0, withoutAgent: 0 };
  await waitFor(what, async () => {
    last = await picture(frame);
    return demoShown(last, expected) ? true : undefined;
  }, () => `groups: ${JSON.stringify(last.groups)}\nedges: ${JSON.stringify(last.edges, null, 1)}\nexpected: ${JSON.stringify([...expected])}\n` +
    `--- Output channel:\n${wb.outputLogFile(CHANNEL).split('\n').slice(-30).join('\n')}`, 60000, 100);
  return last;
}

/** When the graph webview's document was loaded (its own clock is this machine's). */
async function webviewLoadedAt(frame: Frame): Promise<number> {
  return frame.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    return performance.timeOrigin + (nav?.domContentLoadedEventEnd ?? 0);
  });
}

/**
 * The new window's timings from its extension host's Output channel: when the extension activated
 * (its collector started), where the collector listens, whether it had to fall back, and when agents joined.
 */
function newHostLog(wb: Workbench): { activatedAt: number; endpoint: string; fellBack: boolean; joins: number[] } {
  const log = wb.outputLogFile(CHANNEL);
  const from = log.lastIndexOf('activating');
  const stamp = (line: string) => Date.parse(/^\[([^\]]+)\]/.exec(line)?.[1] ?? '');
  const lines = log.slice(log.lastIndexOf('\n', from) + 1).split('\n');
  return {
    activatedAt: stamp(lines[0] ?? ''),
    endpoint: /Collector listening on (\S+)/.exec(lines.join('\n'))?.[1] ?? '?',
    fellBack: lines.some((l) => /stayed taken/.test(l)),
    joins: lines.filter((l) => /Agent joined/.test(l)).map(stamp),
  };
}

/**
 * How long the demo took to show again in a new window, measured and bounded: from the moment both
 * the new extension host runs (its collector has started) and the graph webview is loaded to the
 * graph showing the whole demo. Before that moment VS Code is starting the extension host and
 * loading the webview (printed, not bounded: nothing the extension does).
 */
async function measureBack(wb: Workbench, frame: Frame, what: string, started: number, back: number, shownAt: number): Promise<void> {
  const host = newHostLog(wb);
  const loaded = Math.round(await webviewLoadedAt(frame));
  const ready = Math.max(host.activatedAt, loaded);
  const rejoined = host.joins.length > 0 ? Math.max(...host.joins) - host.activatedAt : NaN;
  timings.push(`${what}: ${shownAt - ready} ms from the new extension host running and the graph loaded to the demo in the graph ` +
    `(window back → extension activated ${host.activatedAt - back} ms, → graph loaded ${loaded - back} ms, → demo shown ${shownAt - back} ms; ` +
    `${what} started → demo shown ${shownAt - started} ms; ${host.joins.length} agents joined ${host.endpoint} within ${rejoined} ms of activation` +
    `${host.fellBack ? ', after a fallback' : ', its configured port'})`);
  console.log(`[e2e] ${timings[timings.length - 1]}`);
  assert.ok(Number.isFinite(host.activatedAt), 'the new extension host logged its activation');
  assert.ok(shownAt - ready <= BACK_WITHIN_MS, `the graph showed the demo ${shownAt - ready} ms after the new window's extension and graph were up (bound ${BACK_WITHIN_MS} ms)`);
}

before(async () => {
  const vsix = await phases.time('package the .vsix (reused while fresh)', () => ensureVsix());
  const collectorPort = await freePortRun(1);
  workbench = await phases.time('start code-server with the .vsix + chromium', () => Workbench.start({
    name: 'reload',
    vsix,
    // A free fixed port (not 0): the new extension host must come back on the port the agents know.
    settings: { 'zmqTopology.collector.port': collectorPort },
  }));
  try {
    await phases.time('load the workbench', () => opened().openWorkbench());
    extension = installedExtension(opened());
  } catch (error) {
    await workbench.captureFailure('load-workbench');
    throw error;
  }
}, { timeout: 10 * 60 * 1000 });

afterEach(async (context) => {
  if (testFailed(context)) await workbench?.captureFailure(context.name);
});

after(async () => {
  // The demo runs in terminals (node-pty sessions, outside code-server's process group): end it first.
  const demoProcesses = extension ? processesIn(extension) : [];
  await phases.time('stop the demos', async () => {
    for (const p of demoProcesses) {
      try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone meanwhile */ }
    }
    for (const deadline = Date.now() + 3000; demoProcesses.some((p) => processRunning(p.pid)) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
    for (const p of demoProcesses.filter((q) => processRunning(q.pid))) {
      try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
    }
  });
  await phases.time('stop code-server and chromium', async () => workbench?.close());
  phases.print();
  if (timings.length > 0) console.log(`[e2e] measured:\n  ${timings.join('\n  ')}`);
  const left = extension ? processesIn(extension) : [];
  assert.deepEqual(left, [], `demo processes left running: ${JSON.stringify(left)}`);
}, { timeout: 60000 });

test('"ZeroMQ: Start Demo" starts the demo and the graph shows it', { timeout: 180000 }, async () => {
  const wb = opened();
  // Another run on this machine may hold the demo's usual ports: then the command asks, and another starts on free ports.
  const usualPortsFree = await demoPortsFree(DEMO_BASE_PORT);
  await phases.time('palette → ZeroMQ: Start Demo', () => wb.runCommand('ZeroMQ: Start Demo'));
  if (!usualPortsFree) {
    const taken = /Ports \d+–\d+ are taken/;
    console.log(`[e2e] ports ${DEMO_BASE_PORT}–${DEMO_BASE_PORT + 2} are taken on this machine: "${await wb.notification(taken)}"`);
    await wb.clickNotificationButton(taken, 'Start Another on Free Ports');
  }
  await phases.time('palette → ZeroMQ: Show Topology Graph', () => wb.runCommand('ZeroMQ: Show Topology Graph'));
  const frame = await phases.time('graph webview frame', () => graphFrame(wb));
  let last: Picture = { groups: [], edges: [], unknownPeers: 0, withoutAgent: 0 };
  demo = await phases.time('the demo in the graph (every process, the workers beating)', () => waitFor('the graph shows the demo started by Start Demo', async () => {
    last = await picture(frame);
    return demoShown(last);
  }, () => `groups: ${JSON.stringify(last.groups)}\nedges: ${JSON.stringify(last.edges, null, 1)}\n${wb.outputLogFile(CHANNEL)}`, 90000));
  assert.equal(last.unknownPeers, 0, `no unknown peers: ${JSON.stringify(last.groups)}`);
  // The status watcher (no agent) is drawn once its connection has lasted the grace period.
  await phases.time('the status watcher as a peer without an agent', () => waitFor('the graph shows the status watcher as a peer without an agent', async () => {
    last = await picture(frame);
    return last.withoutAgent === 1 && last.edges.some((e) => /^\?unseen:/.test(e.id) && edgeState(e) === 'connected') ? true : undefined;
  }, () => `without an agent: ${last.withoutAgent}\nedges: ${JSON.stringify(last.edges.map((e) => [e.id, edgeState(e)]), null, 1)}`, 15000));
  console.log(`[e2e] demo: ${[...demo.pids].map(([n, pid]) => `${n} ${pid}`).join(', ')}; the status watcher drawn as a peer without an agent`);
});

test('(a) Developer: Reload Window: the graph shows the running demo again within 5 s of the new window being up', { timeout: 120000 }, async () => {
  const wb = opened();
  firstDemo();
  await wb.page.evaluate(() => { (window as unknown as { e2eBeforeReload: boolean }).e2eBeforeReload = true; });
  const started = Date.now();
  await phases.time('palette → Developer: Reload Window', () => wb.runCommand('Developer: Reload Window'));
  await phases.time('workbench back', async () => {
    await wb.page.waitForFunction(() => !(window as unknown as { e2eBeforeReload?: boolean }).e2eBeforeReload, undefined, { timeout: 30000 });
    await wb.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60000 });
  });
  const back = Date.now();
  const frame = await phases.time('graph webview revived', () => graphFrame(wb));
  const shown = await phases.time('the demo in the graph again', () => waitForDemo(wb, frame, 'the revived graph shows the running demo'));
  await measureBack(wb, frame, 'reload', started, back, Date.now());
  assert.equal(shown.unknownPeers, 0, 'no unknown peers after the reload');
});

test('(b) closing the browser tab and opening a new one: the graph shows the running demo again within 5 s', { timeout: 120000 }, async () => {
  const wb = opened();
  firstDemo();
  const started = Date.now();
  await phases.time('close the tab, open a new one, workbench loaded', () => wb.reopenTab());
  const back = Date.now();
  const frame = await phases.time('graph webview restored in the new window', () => graphFrame(wb));
  const shown = await phases.time('the demo in the graph again', () => waitForDemo(wb, frame, 'the new window\'s graph shows the running demo'));
  await measureBack(wb, frame, 'new tab', started, back, Date.now());
  assert.equal(shown.unknownPeers, 0, 'no unknown peers in the new window');
});

test('(c) Start Demo while the demo runs: offered to show it; another demo on free ports leaves the first intact, no unknown peers', { timeout: 180000 }, async () => {
  const wb = opened();
  const first = firstDemo();
  const frame = await graphFrame(wb);
  await phases.time('palette → ZeroMQ: Start Demo (again)', () => wb.runCommand('ZeroMQ: Start Demo'));
  const offer = /The demo already runs and reports here/;
  const said = await wb.notification(offer);
  assert.match(said, new RegExp(`\\(broker, pid ${first.pids.get('broker')}\\)`), `the running demo is named: ${said}`);
  assert.deepEqual((await wb.notificationButtons(offer)).sort(), ['Show Graph', 'Start Another on Free Ports']);
  await wb.clickNotificationButton(offer, 'Start Another on Free Ports');

  // The second demo: a second broker with its own workers, all beating.
  let last: Picture = { groups: [], edges: [], unknownPeers: 0, withoutAgent: 0 };
  const second = await phases.time('the second demo in the graph', () => waitFor('the graph shows a second demo beside the first', async () => {
    last = await picture(frame);
    const others = new Map<string, number>();
    for (const name of STEADY) {
      const pid = pidsOf(last, name).find((x) => x !== first.pids.get(name));
      if (pid === undefined) return undefined;
      others.set(name, pid);
    }
    return demoShown(last, others);
  }, () => `groups: ${JSON.stringify(last.groups)}\nedges: ${JSON.stringify(last.edges, null, 1)}\n${wb.outputLogFile(CHANNEL).split('\n').slice(-20).join('\n')}`, 90000));
  console.log(`[e2e] second demo: ${[...second.pids].map(([n, pid]) => `${n} ${pid}`).join(', ')}`);

  // The first demo is as it was: the same processes, running, its workers' edges still connected and beating.
  const again = await waitForDemo(wb, frame, 'the first demo is intact beside the second');
  for (const [name, pid] of first.pids) assert.ok(processRunning(pid), `${name} (pid ${pid}) of the first demo still runs`);
  const edges = new Map(again.edges.map((e) => [e.id, e]));
  for (const id of demoShown(again, first.pids)?.workerEdges ?? []) {
    assert.equal(edgeState(edges.get(id)!), 'connected', `the first demo's worker edge ${id} is connected`);
  }
  assert.equal(again.unknownPeers, 0, `no unknown peers with two demos: ${JSON.stringify(again.groups)}`);
  const terminals = processesIn(extension).filter((p) => /examples\/demo\/run\.js/.test(p.command));
  assert.equal(terminals.length, 2, `two demos run: ${JSON.stringify(terminals)}`);
  console.log(`[e2e] Start Demo twice: ${again.groups.length} processes in the graph, ${again.edges.length} edges, no unknown peers; ${path.relative(ROOT, extension)}`);
});

test('(d) a tab that dies without a goodbye: the new window says the collector moved and how to bring the processes over', { timeout: 120000 }, async () => {
  const wb = opened();
  firstDemo();
  // The server keeps the old extension host (and its collector, holding the port and answering the
  // agents) for its reconnection grace time: the new collector falls back after its retry and says so.
  // The agents stay with the old host while it answers (docs/E2E.md, "Traps"): this is what the user is told.
  const crashed = Date.now();
  await phases.time('the tab crashes, a new one opens', () => wb.crashTabAndReopen());
  const moved = /port \d+ is taken, so the collector listens on tcp:\/\/127\.0\.0\.1:\d+/;
  const said = await phases.time('the new window says the collector moved', () => wb.notification(moved, 30000));
  timings.push(`crashed tab: the new window said where its collector listens ${Date.now() - crashed} ms after the crash`);
  console.log(`[e2e] ${timings[timings.length - 1]}: "${said}"`);
  assert.match(said, /restart them with the new agent environment/, 'the fix is said');
  assert.deepEqual((await wb.notificationButtons(moved)).sort(), ['Copy Agent Environment', 'Show Output']);
});
