/**
 * Disconnect → screen, in real VS Code: the packaged extension in code-server (the e2e harness),
 * the graph open in headless chromium, a ROUTER process and DEALER processes instrumented with the
 * agent environment the extension prints (bench/workloads/screen-peers.js).
 *
 *  - disconnect: `kill -9` of a DEALER → its edge's class turns `state-disconnected` in the webview.
 *    One new DEALER per trial; VS Code, the collector and the ROUTER stay up.
 *  - late: SIGSTOP of a DEALER (a hung process: its heartbeats, its telemetry and its ZMTP traffic
 *    all stop, the TCP connection stays) → the edge's class turns `state-late`, compared with when it
 *    should by the threshold: the last heartbeat the DEALER sent + zmqTopology.liveness.warnAfterMs.
 *    SIGCONT, back to connected, next trial (one DEALER for all of them).
 *
 * Every time is Date.now() on this machine: the benchmark's (kill, stop, heartbeats the DEALER
 * printed), the extension host's (the store's stamps in the diffs) and the webview's (message
 * arrival, MutationObserver, next animation frame), so each latency is split where it was spent.
 */
import path from 'node:path';
import type { Frame } from 'playwright-core';
import { DEFAULT_STORE_OPTIONS } from '../src/model/store';
import { startChild, sleep, type Child } from './lib/children';
import { isQuick, percentile, ROOT, summarize, writeResult, atMost, type Row } from './lib/report';
import { busyMs, installProbe, takeLongTasks, takeRecords, watchLongTasks, type LongTask, type SeenEdge, type SeenMessage, type Transition } from './lib/screenProbe';
import { agentEnvironment, instrumentedEnv, startWorkbench } from './lib/workbench';

const quick = isQuick();
const TRIALS = quick ? { disconnect: 3, late: 3 } : { disconnect: 20, late: 20 };
/** The thresholds are set explicitly (the defaults), so the expected "late" moment is known. */
const WARN_AFTER_MS = 2500;
const DEAD_AFTER_MS = 6000;
/** The store's one sweep timer (not a setting): the error bound for "late" is one sweep interval. */
const SWEEP_MS = DEFAULT_STORE_OPTIONS.sweepIntervalMs;
const HEARTBEAT_MS = 200;
const DISCONNECT_TARGET_P95_MS = 100;
const WORKLOAD = path.join(ROOT, 'bench', 'workloads', 'screen-peers.js');
const WAIT_SHOWN_MS = 15_000;

interface DisconnectTrial {
  trial: number;
  pid: number;
  edgeId: string;
  killedAt: number;
  /** The store's lastDisconnect.at of the edge (when the collector learnt it), null if never shown. */
  detectedAt: number | null;
  /** The store's notify time of the first diff that carried the edge as disconnected. */
  diffTakenAt: number | null;
  /** That diff's arrival in the webview. */
  arrivedAt: number | null;
  /** MutationObserver: the edge's class became state-disconnected. */
  shownAt: number | null;
  paintedAt: number | null;
}

interface LateTrial {
  trial: number;
  stoppedAt: number;
  /** The last HEARTBEAT the DEALER printed as sent before the SIGSTOP. */
  lastHeartbeatAt: number;
  /** The store's idea of it: takenAt − heartbeatAgeMs of the diff that carried "late". */
  modelHeartbeatAt: number | null;
  /**
   * The sweep's 'heartbeat-late' timeline entry. The diff can say "late" before it: a notify computes
   * each edge's state from the clock, so the first diff after the due time carries it.
   */
  sweptAt: number | null;
  diffTakenAt: number | null;
  arrivedAt: number | null;
  shownAt: number | null;
  paintedAt: number | null;
}

/** The webview's picture as the benchmark saw it: every message and class change, merged. */
class Observed {
  readonly nodes = new Map<string, { pid: number }>();
  readonly socketNode = new Map<string, string>();
  readonly edges = new Map<string, SeenEdge>();
  readonly messages: SeenMessage[] = [];
  readonly transitions: Transition[] = [];
  /** Long tasks of the webview's main thread and of the workbench page's (which relays postMessage). */
  readonly webviewLongTasks: LongTask[] = [];
  readonly workbenchLongTasks: LongTask[] = [];

  constructor(private readonly frame: Frame, private readonly workbenchFrame: Frame) {}

  /** Collected once per trial, not per poll: fewer round trips into the pages being measured. */
  async collectLongTasks(): Promise<void> {
    this.webviewLongTasks.push(...await takeLongTasks(this.frame));
    this.workbenchLongTasks.push(...await takeLongTasks(this.workbenchFrame));
  }

  async poll(): Promise<void> {
    const { messages, transitions } = await takeRecords(this.frame);
    for (const message of messages) {
      this.messages.push(message);
      for (const n of message.nodes) this.nodes.set(n.id, { pid: n.pid });
      for (const s of message.sockets) this.socketNode.set(s.id, s.nodeId);
      for (const e of message.edges) this.edges.set(e.id, e);
    }
    this.transitions.push(...transitions);
  }

  /** The edge whose connecting socket lives in process `pid`. */
  edgeOf(pid: number): string | undefined {
    const nodeIds = new Set([...this.nodes].filter(([, n]) => n.pid === pid).map(([id]) => id));
    return [...this.edges.values()].find((e) => nodeIds.has(this.socketNode.get(e.from) ?? ''))?.id;
  }

  /** The edge's state class in the DOM now ('' when not drawn yet). */
  domState(edgeId: string): string {
    return this.transitions.filter((t) => t.id === edgeId).at(-1)?.state ?? '';
  }

  firstTransition(edgeId: string, state: string, after: number): Transition | undefined {
    return this.transitions.find((t) => t.id === edgeId && t.state === state && t.at >= after);
  }

  /** The first message after `after` that carried the edge in `state`, with that edge. */
  firstMessage(edgeId: string, state: string, after: number): { message: SeenMessage; edge: SeenEdge } | undefined {
    for (const message of this.messages) {
      if (message.at < after) continue;
      const edge = message.edges.find((e) => e.id === edgeId && e.state === state);
      if (edge) return { message, edge };
    }
    return undefined;
  }
}

/** Polls the webview until `probe` returns a value; undefined after the timeout. */
async function until<T>(observed: Observed, probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    await observed.poll();
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) return undefined;
    await sleep(30);
  }
}

async function required<T>(what: string, observed: Observed, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const value = await until(observed, probe, timeoutMs);
  if (value === undefined) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
  return value;
}

function startDealer(endpoint: string, env: NodeJS.ProcessEnv, name: string): Child {
  return startChild(process.execPath, [WORKLOAD, 'dealer', endpoint, String(HEARTBEAT_MS), name], {
    cwd: ROOT, env: { ...env, ZMQ_TOPOLOGY_NODE: name }, timeLimitMs: 60 * 60_000,
  });
}

/** A new DEALER, shown connected with a heartbeat age in the graph; returns its edge id. */
async function connectedDealer(observed: Observed, dealer: Child, name: string): Promise<string> {
  const pid = dealer.process.pid ?? NaN;
  return required(`${name} (pid ${pid}) drawn connected with heartbeats`, observed, () => {
    const id = observed.edgeOf(pid);
    return id !== undefined && observed.domState(id) === 'connected' && observed.edges.get(id)?.heartbeatAgeMs != null ? id : undefined;
  }, 30_000);
}

async function disconnectTrial(observed: Observed, endpoint: string, env: NodeJS.ProcessEnv, trial: number): Promise<DisconnectTrial> {
  const name = `dealer-${trial}`;
  const dealer = startDealer(endpoint, env, name);
  const edgeId = await connectedDealer(observed, dealer, name);
  // A random phase against the store's sweep and notify timers.
  await sleep(300 + Math.random() * 250);
  await observed.poll();
  const killedAt = Date.now();
  dealer.process.kill('SIGKILL');
  const shown = await until(observed, () => observed.firstTransition(edgeId, 'disconnected', killedAt), WAIT_SHOWN_MS);
  if (shown) await until(observed, () => (observed.firstTransition(edgeId, 'disconnected', killedAt)?.paintedAt != null ? true : undefined), 2000);
  await dealer.exited;
  const seen = observed.firstMessage(edgeId, 'disconnected', killedAt);
  return {
    trial, pid: dealer.process.pid ?? NaN, edgeId, killedAt,
    detectedAt: seen?.edge.lastDisconnectAt ?? null,
    diffTakenAt: seen?.message.takenAt ?? null,
    arrivedAt: seen?.message.at ?? null,
    shownAt: shown?.at ?? null,
    paintedAt: observed.firstTransition(edgeId, 'disconnected', killedAt)?.paintedAt ?? null,
  };
}

async function lateTrial(observed: Observed, dealer: Child, edgeId: string, trial: number): Promise<LateTrial> {
  await required(`trial ${trial}: the hanging DEALER's edge connected again`, observed, () => (observed.domState(edgeId) === 'connected' ? true : undefined), 30_000);
  // Several heartbeats in, at a random phase against the sweep.
  await sleep(600 + Math.random() * SWEEP_MS);
  const stoppedAt = Date.now();
  dealer.process.kill('SIGSTOP');
  await sleep(100); // lines the DEALER wrote before it stopped are still in the pipe
  const beats = dealer.lines.map((l) => (l as { hb?: number }).hb).filter((t): t is number => t !== undefined && t <= stoppedAt);
  if (beats.length === 0) throw new Error(`trial ${trial}: the hanging DEALER printed no heartbeat before its SIGSTOP`);
  const lastHeartbeatAt = Math.max(...beats);
  const shown = await until(observed, () => observed.firstTransition(edgeId, 'late', stoppedAt), WARN_AFTER_MS + WAIT_SHOWN_MS);
  if (shown) await until(observed, () => (observed.firstTransition(edgeId, 'late', stoppedAt)?.paintedAt != null ? true : undefined), 2000);
  const continuedAt = Date.now();
  dealer.process.kill('SIGCONT');
  const seen = observed.firstMessage(edgeId, 'late', stoppedAt);
  await required(`trial ${trial}: connected after SIGCONT`, observed, () => observed.firstTransition(edgeId, 'connected', continuedAt), 30_000);
  return {
    trial, stoppedAt, lastHeartbeatAt,
    modelHeartbeatAt: seen && seen.edge.heartbeatAgeMs !== null ? seen.message.takenAt - seen.edge.heartbeatAgeMs : null,
    sweptAt: observed.messages.flatMap((m) => m.edges).find((e) => e.id === edgeId && e.lateAt !== null && e.lateAt >= stoppedAt)?.lateAt ?? null,
    diffTakenAt: seen?.message.takenAt ?? null,
    arrivedAt: seen?.message.at ?? null,
    shownAt: shown?.at ?? null,
    paintedAt: observed.firstTransition(edgeId, 'late', stoppedAt)?.paintedAt ?? null,
  };
}

/** b − a over the trials where both are known. */
function spans<T>(trials: readonly T[], a: (t: T) => number | null, b: (t: T) => number | null): number[] {
  return trials.flatMap((t) => {
    const from = a(t);
    const to = b(t);
    return from === null || to === null ? [] : [to - from];
  });
}

/** A percentile row: the value is one number over `n` trials (the n column says 1, the metric says of how many). */
function percentileRow(group: string, metric: string, values: number[], p: number, target?: (v: number) => Row['target']): Row {
  const v = percentile(values, p);
  return { group, metric: `${metric}, ${p === 100 ? 'max' : `p${p}`} of ${values.length}`, unit: 'ms', value: { median: v, min: v, max: v, n: 1 }, ...(target ? { target: target(v) } : {}) };
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const { workbench } = await startWorkbench('bench-screen', {
    'zmqTopology.liveness.warnAfterMs': WARN_AFTER_MS,
    'zmqTopology.liveness.deadAfterMs': DEAD_AFTER_MS,
  });
  const children: Child[] = [];
  try {
    const { endpoint: collector, env: agentEnv } = await agentEnvironment(workbench);
    const env = instrumentedEnv(agentEnv);
    const router = startChild(process.execPath, [WORKLOAD, 'router'], { cwd: ROOT, env: { ...env, ZMQ_TOPOLOGY_NODE: 'router' }, timeLimitMs: 60 * 60_000 });
    children.push(router);
    const { endpoint } = await router.nextLine() as { endpoint: string };
    console.log(`collector ${collector}; router ${endpoint} (pid ${router.process.pid ?? '?'})`);

    await workbench.runCommand('ZeroMQ: Show Topology Graph');
    const frame = await workbench.findWebviewFrame('#graph', 60_000);
    await installProbe(frame);
    await watchLongTasks(frame);
    await watchLongTasks(workbench.page.mainFrame());
    const observed = new Observed(frame, workbench.page.mainFrame());

    const disconnects: DisconnectTrial[] = [];
    for (let trial = 1; trial <= TRIALS.disconnect; trial++) {
      const result = await disconnectTrial(observed, endpoint, env, trial);
      await observed.collectLongTasks();
      disconnects.push(result);
      console.log(`disconnect ${trial}/${TRIALS.disconnect}: kill → class ${result.shownAt === null ? 'never' : `${result.shownAt - result.killedAt} ms`}` +
        ` (collector ${result.detectedAt === null ? '?' : result.detectedAt - result.killedAt} ms, diff ${result.diffTakenAt === null ? '?' : result.diffTakenAt - result.killedAt} ms, webview ${result.arrivedAt === null ? '?' : result.arrivedAt - result.killedAt} ms)`);
    }

    const hanging = startDealer(endpoint, env, 'dealer-hang');
    children.push(hanging);
    const hangEdge = await connectedDealer(observed, hanging, 'dealer-hang');
    const lates: LateTrial[] = [];
    for (let trial = 1; trial <= TRIALS.late; trial++) {
      const result = await lateTrial(observed, hanging, hangEdge, trial);
      await observed.collectLongTasks();
      lates.push(result);
      const due = result.lastHeartbeatAt + WARN_AFTER_MS;
      console.log(`late ${trial}/${TRIALS.late}: class − due ${result.shownAt === null ? 'never' : `${result.shownAt - due} ms`}` +
        ` (diff ${result.diffTakenAt === null ? '?' : result.diffTakenAt - due} ms, sweep ${result.sweptAt === null ? '?' : result.sweptAt - due} ms, webview ${result.arrivedAt === null ? '?' : result.arrivedAt - due} ms)`);
    }

    const rows: Row[] = [];
    const D = 'disconnect: kill -9 DEALER → edge class state-disconnected';
    const disconnectMs = disconnects.map((t) => (t.shownAt === null ? Infinity : t.shownAt - t.killedAt));
    rows.push({ group: D, metric: 'kill → class changed', unit: 'ms', value: summarize(disconnectMs) });
    rows.push(percentileRow(D, 'kill → class changed', disconnectMs, 50));
    rows.push(percentileRow(D, 'kill → class changed', disconnectMs, 95, (v) => atMost(v, DISCONNECT_TARGET_P95_MS)));
    rows.push(percentileRow(D, 'kill → class changed', disconnectMs, 100));
    rows.push({ group: D, metric: 'kill → collector knew (lastDisconnect.at)', unit: 'ms', value: summarize(spans(disconnects, (t) => t.killedAt, (t) => t.detectedAt)) });
    rows.push({ group: D, metric: 'collector knew → diff taken (store notify)', unit: 'ms', value: summarize(spans(disconnects, (t) => t.detectedAt, (t) => t.diffTakenAt)) });
    rows.push({ group: D, metric: 'diff taken → message in webview', unit: 'ms', value: summarize(spans(disconnects, (t) => t.diffTakenAt, (t) => t.arrivedAt)) });
    const busy = (tasks: LongTask[], trials: ReadonlyArray<{ diffTakenAt: number | null; arrivedAt: number | null }>) =>
      summarize(trials.flatMap((t) => (t.diffTakenAt === null || t.arrivedAt === null ? [] : [busyMs(tasks, t.diffTakenAt, t.arrivedAt)])));
    rows.push({ group: D, metric: '… of which webview thread in long tasks', unit: 'ms', value: busy(observed.webviewLongTasks, disconnects) });
    rows.push({ group: D, metric: '… of which workbench thread in long tasks', unit: 'ms', value: busy(observed.workbenchLongTasks, disconnects) });
    rows.push({ group: D, metric: 'message in webview → class changed', unit: 'ms', value: summarize(spans(disconnects, (t) => t.arrivedAt, (t) => t.shownAt)) });
    rows.push({ group: D, metric: 'class changed → next animation frame', unit: 'ms', value: summarize(spans(disconnects, (t) => t.shownAt, (t) => t.paintedAt)) });

    const L = `late: SIGSTOP DEALER → edge class state-late, vs last heartbeat + ${WARN_AFTER_MS} ms`;
    const due = (t: LateTrial) => t.lastHeartbeatAt + WARN_AFTER_MS;
    const lateError = lates.map((t) => (t.shownAt === null ? Infinity : t.shownAt - due(t)));
    rows.push({ group: L, metric: 'class changed − due (error)', unit: 'ms', value: summarize(lateError) });
    rows.push(percentileRow(L, 'class changed − due (error)', lateError, 95));
    rows.push(percentileRow(L, 'class changed − due (error)', lateError, 100, (v) => atMost(v, SWEEP_MS)));
    rows.push({ group: L, metric: 'model\'s last heartbeat − DEALER\'s last send', unit: 'ms', value: summarize(spans(lates, (t) => t.lastHeartbeatAt, (t) => t.modelHeartbeatAt)) });
    rows.push({ group: L, metric: 'due → first diff saying late (store notify)', unit: 'ms', value: summarize(spans(lates, due, (t) => t.diffTakenAt)) });
    rows.push({ group: L, metric: 'due → sweep\'s heartbeat-late timeline entry', unit: 'ms', value: summarize(spans(lates, due, (t) => t.sweptAt)) });
    rows.push({ group: L, metric: 'diff taken → message in webview', unit: 'ms', value: summarize(spans(lates, (t) => t.diffTakenAt, (t) => t.arrivedAt)) });
    rows.push({ group: L, metric: '… of which webview thread in long tasks', unit: 'ms', value: busy(observed.webviewLongTasks, lates) });
    rows.push({ group: L, metric: '… of which workbench thread in long tasks', unit: 'ms', value: busy(observed.workbenchLongTasks, lates) });
    rows.push({ group: L, metric: 'message in webview → class changed', unit: 'ms', value: summarize(spans(lates, (t) => t.arrivedAt, (t) => t.shownAt)) });
    rows.push({ group: L, metric: 'class changed → next animation frame', unit: 'ms', value: summarize(spans(lates, (t) => t.shownAt, (t) => t.paintedAt)) });

    const notes = [
      `code-server (VS Code 1.100) with the packaged .vsix, graph in headless chromium; ROUTER + DEALERs from bench/workloads/screen-peers.js instrumented with the environment the extension printed; collector ${collector}.`,
      `disconnect: ${TRIALS.disconnect} trials, a new DEALER each (HEARTBEAT every ${HEARTBEAT_MS} ms), kill -9 at a random phase; target p95 <= ${DISCONNECT_TARGET_P95_MS} ms.`,
      `late: ${TRIALS.late} trials on one DEALER, SIGSTOP then SIGCONT; due = its last HEARTBEAT send + warnAfterMs ${WARN_AFTER_MS}; target: error <= one sweep (${SWEEP_MS} ms) on every trial (the max).`,
      'Store notify throttle (zmqTopology.view.updateIntervalMs) 100 ms and the graph panel\'s own 100 ms diff coalescer are both on this path.',
      `Timeouts (nothing shown within ${WAIT_SHOWN_MS / 1000} s) count as Infinity in the percentiles: disconnect ${disconnectMs.filter((v) => !Number.isFinite(v)).length}, late ${lateError.filter((v) => !Number.isFinite(v)).length}.`,
    ];
    writeResult({ benchmark: 'screen', mode: quick ? 'quick' : 'full', startedAt: new Date(startedAt).toISOString(), durationMs: Date.now() - startedAt, rows, notes, raw: { settings: { TRIALS, WARN_AFTER_MS, DEAD_AFTER_MS, SWEEP_MS, HEARTBEAT_MS }, disconnects, lates, webviewLongTasks: observed.webviewLongTasks, workbenchLongTasks: observed.workbenchLongTasks } });
  } catch (error) {
    await workbench.captureFailure('screen');
    throw error;
  } finally {
    for (const child of children) child.process.kill('SIGKILL');
    await workbench.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
