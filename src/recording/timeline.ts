/**
 * The timeline's pure logic (docs/RECORDING.md "Timeline"): markers read off the model's snapshots
 * (disconnects, late edges, process exits, retry storms), the next/previous marker from an instant,
 * and "what changed between t1 and t2" from two snapshots. No clock, no I/O.
 */
import type { EdgeView, NodeView, TimelineEntry, TopologySnapshot } from '../shared/snapshot';
import { TIMELINE_LIMITS, type Comparison, type ComparisonChange, type TimelineMarker } from '../shared/timeline';

/** Names for an edge ("worker-1 → broker") and a node ("worker-1 (pid 4242)") in one snapshot. */
class Labels {
  private readonly nodes = new Map<string, NodeView>();
  private readonly socketNode = new Map<string, string>();

  constructor(snapshot: TopologySnapshot) {
    for (const n of snapshot.nodes) this.nodes.set(n.id, n);
    for (const s of snapshot.sockets) this.socketNode.set(s.id, s.nodeId);
  }

  node(id: string): string {
    const n = this.nodes.get(id);
    if (!n) return id;
    return n.unknown ? n.name : `${n.name} (pid ${n.pid})`;
  }

  edge(e: EdgeView): string {
    const name = (socketId: string) => this.nodes.get(this.socketNode.get(socketId) ?? '')?.name ?? socketId;
    return `${name(e.from)} → ${name(e.to)}`;
  }
}

/**
 * Collects markers from snapshots taken one after another (each new entry of an edge's timeline is
 * seen once, whenever it shows up: an input may arrive after an instant already looked at):
 * - `disconnect`: a timeline entry `disconnect` or `disconnect-msg` (the app's message in the text);
 * - `late`: `heartbeat-late` or `heartbeat-dead` (the sweep's entries);
 * - `exit`: a process (not an unknown peer) with exitedAt, once per exit;
 * - `retry-storm`: `rule.count` connect:retry entries of one edge within `rule.windowMs` (the store's
 *   own retryStorm rule, so the marker agrees with the edge's flag); one marker per storm, a new one
 *   only after a pause longer than the window.
 * Entries an edge's timeline dropped (timelineLength) before a snapshot looked are not seen.
 */
export class MarkerCollector {
  private readonly markers: TimelineMarker[] = [];
  /**
   * How many timeline entries of each time, event and detail the last snapshot held: an entry is new
   * where a snapshot holds more. Views are built afresh for every snapshot, so entries are told by
   * content; counted, not by edge, so an entry moved to another edge (a provisional edge merged into
   * the real one) is not new, while one disconnect of three edges at one instant is three.
   */
  private seen = new Map<string, number>();
  private readonly exits = new Set<string>();
  private readonly retries = new Map<string, { times: number[]; stormAt: number }>();

  constructor(private readonly rule: { count: number; windowMs: number }, private readonly limit: number = TIMELINE_LIMITS.markers) {}

  observe(snapshot: TopologySnapshot): void {
    const labels = new Labels(snapshot);
    for (const n of snapshot.nodes) {
      if (n.exitedAt === undefined || n.unknown) continue;
      const key = `${n.id}@${n.exitedAt}`;
      if (this.exits.has(key)) continue;
      this.exits.add(key);
      this.add({ at: n.exitedAt, kind: 'exit', text: `${labels.node(n.id)} exited`, id: n.id });
    }
    const held = new Map<string, number>();
    for (const e of snapshot.edges) {
      for (const entry of e.timeline) {
        const key = `${entry.at}\n${entry.event}\n${entry.detail ?? ''}`;
        const count = (held.get(key) ?? 0) + 1;
        held.set(key, count);
        if (count > (this.seen.get(key) ?? 0)) this.entry(e, entry, labels);
      }
    }
    this.seen = held;
  }

  /** Sorted by time, the latest `limit`. */
  list(): TimelineMarker[] {
    this.trim(this.limit);
    return this.markers.slice();
  }

  private entry(e: EdgeView, entry: TimelineEntry, labels: Labels): void {
    const detail = entry.detail ? ` (${entry.detail})` : '';
    switch (entry.event) {
      case 'disconnect':
        this.add({ at: entry.at, kind: 'disconnect', text: `${labels.edge(e)}: disconnected${detail}`, id: e.id });
        break;
      case 'disconnect-msg':
        this.add({ at: entry.at, kind: 'disconnect', text: `${labels.edge(e)}: ⊘ ${entry.detail ?? 'disconnect message'}`, id: e.id });
        break;
      case 'heartbeat-late':
        this.add({ at: entry.at, kind: 'late', text: `${labels.edge(e)}: late${detail}`, id: e.id });
        break;
      case 'heartbeat-dead':
        this.add({ at: entry.at, kind: 'late', text: `${labels.edge(e)}: dead${detail}`, id: e.id });
        break;
      case 'connect:retry':
        this.retry(e, entry.at, labels);
        break;
      default:
        break;
    }
  }

  private retry(e: EdgeView, at: number, labels: Labels): void {
    const { count, windowMs } = this.rule;
    if (count <= 0) return;
    let r = this.retries.get(e.id);
    if (!r) this.retries.set(e.id, (r = { times: [], stormAt: -Infinity }));
    const inStorm = at - r.stormAt <= windowMs;
    r.times.push(at);
    if (r.times.length > count) r.times.shift();
    if (inStorm) {
      r.stormAt = at;
      return;
    }
    if (r.times.length >= count && at - r.times[0]! <= windowMs) {
      r.stormAt = at;
      this.add({ at, kind: 'retry-storm', text: `${labels.edge(e)}: retry storm (${count} reconnect attempts within ${windowMs / 1000} s)`, id: e.id });
    }
  }

  private add(m: TimelineMarker): void {
    this.markers.push(m);
    if (this.markers.length >= 2 * this.limit) this.trim(this.limit);
  }

  private trim(limit: number): void {
    this.markers.sort((a, b) => a.at - b.at);
    if (this.markers.length > limit) this.markers.splice(0, this.markers.length - limit);
  }
}

/** The first marker after `at` (markers sorted by time). */
export function nextMarker(markers: readonly TimelineMarker[], at: number): TimelineMarker | undefined {
  let lo = 0;
  let hi = markers.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (markers[mid]!.at <= at) lo = mid + 1;
    else hi = mid;
  }
  return markers[lo];
}

/** The last marker before `at`. */
export function previousMarker(markers: readonly TimelineMarker[], at: number): TimelineMarker | undefined {
  let lo = 0;
  let hi = markers.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (markers[mid]!.at < at) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? markers[lo - 1] : undefined;
}

/**
 * What changed from snapshot `a` (at `from`) to `b` (at `to`): processes and connections added and
 * gone, and state changes (a connection's with its last disconnect's message or reason). Gone first,
 * then added, then changed, each by name; at most `limit` changes (TIMELINE_LIMITS.changes).
 */
export function compareSnapshots(a: TopologySnapshot, b: TopologySnapshot, limit: number = TIMELINE_LIMITS.changes): Comparison {
  const la = new Labels(a);
  const lb = new Labels(b);
  const removed: ComparisonChange[] = [];
  const added: ComparisonChange[] = [];
  const state: ComparisonChange[] = [];
  const nodesA = new Map(a.nodes.map((n) => [n.id, n]));
  const nodesB = new Map(b.nodes.map((n) => [n.id, n]));
  for (const [id, n] of nodesA) if (!nodesB.has(id)) removed.push({ change: 'removed', id, text: `${la.node(id)}: gone (was ${n.state})` });
  for (const [id, n] of nodesB) {
    const before = nodesA.get(id);
    if (!before) added.push({ change: 'added', id, text: `${lb.node(id)}: new process (${n.state})` });
    else if (before.state !== n.state) state.push({ change: 'state', id, text: `${lb.node(id)}: ${before.state} → ${n.state}` });
  }
  const edgesA = new Map(a.edges.map((e) => [e.id, e]));
  const edgesB = new Map(b.edges.map((e) => [e.id, e]));
  for (const [id, e] of edgesA) if (!edgesB.has(id)) removed.push({ change: 'removed', id, text: `${la.edge(e)}: connection gone (was ${e.state})` });
  for (const [id, e] of edgesB) {
    const before = edgesA.get(id);
    if (!before) {
      added.push({ change: 'added', id, text: `${lb.edge(e)}: new connection (${e.state})` });
      continue;
    }
    if (before.state === e.state) continue;
    const d = e.lastDisconnect;
    const why = d && (before.lastDisconnect?.at !== d.at || before.lastDisconnect.reason !== d.reason) && e.state === 'disconnected'
      ? ` (${d.message ?? d.reason})` : '';
    state.push({ change: 'state', id, text: `${lb.edge(e)}: ${before.state} → ${e.state}${why}` });
  }
  const byText = (x: ComparisonChange, y: ComparisonChange) => (x.text < y.text ? -1 : x.text > y.text ? 1 : 0);
  const changes = [...removed.sort(byText), ...added.sort(byText), ...state.sort(byText)].slice(0, limit);
  return { from: a.takenAt, to: b.takenAt, changes };
}
