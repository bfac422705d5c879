/**
 * What the screen benchmark installs inside the graph webview's frame (by frame.evaluate, so it runs
 * in the page, on the page's clock — the same machine clock as the benchmark's Date.now()):
 *  - a capture-phase `message` listener that stamps every snapshot/diff the host posts on arrival,
 *    before the webview's own listener handles it, keeping the fields the benchmark needs;
 *  - a MutationObserver on #graph that stamps every change of an edge's `state-*` class (the moment
 *    the DOM says "disconnected" or "late"), and the next animation frame after it (≈ painted).
 * It only reads the webview's DOM; nothing of the webview is changed.
 */
import type { Frame } from 'playwright-core';

export interface SeenEdge {
  id: string;
  from: string;
  to: string;
  state: string;
  heartbeatAgeMs: number | null;
  lastDisconnectAt: number | null;
  /** Time of the newest 'heartbeat-late' timeline entry (the sweep that noticed it). */
  lateAt: number | null;
}

export interface SeenMessage {
  /** Date.now() in the webview when the message arrived. */
  at: number;
  type: 'snapshot' | 'diff';
  /** The store's notify time (extension host clock). */
  takenAt: number;
  nodes: Array<{ id: string; pid: number; exitedAt: number | null }>;
  sockets: Array<{ id: string; nodeId: string }>;
  edges: SeenEdge[];
}

export interface Transition {
  /** Date.now() in the MutationObserver callback (the DOM has changed, not yet painted). */
  at: number;
  /** Date.now() in the next requestAnimationFrame callback after it. */
  paintedAt: number | null;
  id: string;
  /** The new state class without its prefix ('disconnected', 'late', …); '' when the edge left the DOM. */
  state: string;
}

export interface ProbeRecords {
  messages: SeenMessage[];
  transitions: Transition[];
}

const PROBE = '__zmqTopologyScreenBench';
const LONG_TASKS = '__zmqTopologyScreenBenchLongTasks';

/** A main-thread task over 50 ms, in Date.now() time (performance.timeOrigin + startTime). */
export interface LongTask {
  start: number;
  duration: number;
}

/**
 * Records the long tasks of a frame's main thread (the webview's, or the workbench's that relays
 * postMessage to it), so a slow "diff → message in webview" can be told apart: a busy page thread,
 * or the transport (extension host → code-server → browser).
 */
export async function watchLongTasks(frame: Frame): Promise<void> {
  await frame.evaluate((key) => {
    const host = window as unknown as Record<string, LongTask[] | undefined>;
    if (host[key]) return;
    const tasks: LongTask[] = [];
    host[key] = tasks;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) tasks.push({ start: performance.timeOrigin + entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  }, LONG_TASKS);
}

/** Takes (and clears) the long tasks recorded since the last call. */
export async function takeLongTasks(frame: Frame): Promise<LongTask[]> {
  return frame.evaluate((key) => (window as unknown as Record<string, LongTask[] | undefined>)[key]?.splice(0) ?? [], LONG_TASKS);
}

/** Milliseconds of `tasks` inside [from, to]. */
export function busyMs(tasks: readonly LongTask[], from: number, to: number): number {
  return tasks.reduce((sum, t) => sum + Math.max(0, Math.min(to, t.start + t.duration) - Math.max(from, t.start)), 0);
}

/** Installs the probe once per webview document; true when it was installed now. */
export async function installProbe(frame: Frame): Promise<boolean> {
  return frame.evaluate((key) => {
    interface ProbeState extends ProbeRecords { states: Map<string, string> }
    const host = window as unknown as Record<string, ProbeState | undefined>;
    if (host[key]) return false;
    const probe: ProbeState = { messages: [], transitions: [], states: new Map() };
    host[key] = probe;

    interface RawEdge {
      id: string; from: string; to: string; state: string; heartbeatAgeMs: number | null;
      lastDisconnect: { at: number } | null; timeline?: Array<{ at: number; event: string }>;
    }
    interface RawBody {
      takenAt: number;
      nodes?: Array<{ id: string; pid: number; exitedAt?: number }>;
      sockets?: Array<{ id: string; nodeId: string }>;
      edges?: RawEdge[];
    }
    window.addEventListener('message', (event: MessageEvent) => {
      const data = event.data as { type?: string; diff?: RawBody; snapshot?: RawBody } | null;
      const body = data?.type === 'diff' ? data.diff : data?.type === 'snapshot' ? data.snapshot : undefined;
      if (!body || (data?.type !== 'diff' && data?.type !== 'snapshot')) return;
      probe.messages.push({
        at: Date.now(),
        type: data.type,
        takenAt: body.takenAt,
        nodes: (body.nodes ?? []).map((n) => ({ id: n.id, pid: n.pid, exitedAt: n.exitedAt ?? null })),
        sockets: (body.sockets ?? []).map((s) => ({ id: s.id, nodeId: s.nodeId })),
        edges: (body.edges ?? []).map((e) => ({
          id: e.id, from: e.from, to: e.to, state: e.state, heartbeatAgeMs: e.heartbeatAgeMs,
          lastDisconnectAt: e.lastDisconnect?.at ?? null,
          lateAt: (e.timeline ?? []).filter((t) => t.event === 'heartbeat-late').reduce<number | null>((newest, t) => Math.max(newest ?? t.at, t.at), null),
        })),
      });
    }, true); // capture: runs before the webview's own (bubbling) listener renders anything

    const scan = () => {
      const now = Date.now();
      const present = new Set<string>();
      for (const element of document.querySelectorAll('#graph g.edge')) {
        const id = element.getAttribute('data-id');
        if (id === null) continue;
        present.add(id);
        const state = [...element.classList].find((c) => c.startsWith('state-'))?.slice('state-'.length) ?? '';
        if (probe.states.get(id) === state) continue;
        probe.states.set(id, state);
        const transition: Transition = { at: now, paintedAt: null, id, state };
        probe.transitions.push(transition);
        requestAnimationFrame(() => { transition.paintedAt = Date.now(); });
      }
      for (const id of [...probe.states.keys()]) {
        if (present.has(id)) continue;
        probe.states.delete(id);
        probe.transitions.push({ at: now, paintedAt: null, id, state: '' });
      }
    };
    new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
    scan();
    return true;
  }, PROBE);
}

/** Takes (and clears) what the probe recorded since the last call; throws when the document was replaced. */
export async function takeRecords(frame: Frame): Promise<ProbeRecords> {
  const records = await frame.evaluate((key) => {
    const probe = (window as unknown as Record<string, ProbeRecords | undefined>)[key];
    if (!probe) return null;
    const taken = { messages: probe.messages.splice(0), transitions: probe.transitions.filter((t) => t.paintedAt !== null || Date.now() - t.at > 1000) };
    // Transitions wait for their paint stamp (a frame later) before they are handed out.
    probe.transitions = probe.transitions.filter((t) => !taken.transitions.includes(t));
    return taken;
  }, PROBE);
  if (!records) throw new Error('the graph webview was reloaded (the probe is gone): its timings would be lost');
  return records;
}
