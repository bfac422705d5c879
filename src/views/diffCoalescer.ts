/**
 * Bounded update rate towards the webview: diffs that arrive faster than `minIntervalMs` are merged
 * into one (later items replace earlier ones by id; a removal cancels an earlier change and the other
 * way round). Pure apart from the injected timer functions.
 */
import type { TopologyDiff } from '../shared/snapshot';

interface Keyed {
  id: string;
}

function mergeKind<T extends Keyed>(
  prevItems: T[] | undefined, prevRemoved: string[] | undefined, nextItems: T[] | undefined, nextRemoved: string[] | undefined,
): { items?: T[]; removed?: string[] } {
  const items = new Map<string, T>((prevItems ?? []).map((i) => [i.id, i]));
  const removed = new Set(prevRemoved ?? []);
  for (const id of nextRemoved ?? []) {
    items.delete(id);
    removed.add(id);
  }
  for (const item of nextItems ?? []) {
    removed.delete(item.id);
    items.set(item.id, item);
  }
  return {
    items: items.size > 0 ? [...items.values()] : undefined,
    removed: removed.size > 0 ? [...removed] : undefined,
  };
}

/** One diff equivalent to applying `a` then `b`. */
export function mergeDiffs(a: TopologyDiff, b: TopologyDiff): TopologyDiff {
  const nodes = mergeKind(a.nodes, a.removedNodes, b.nodes, b.removedNodes);
  const sockets = mergeKind(a.sockets, a.removedSockets, b.sockets, b.removedSockets);
  const edges = mergeKind(a.edges, a.removedEdges, b.edges, b.removedEdges);
  const out: TopologyDiff = { takenAt: Math.max(a.takenAt, b.takenAt) };
  if (nodes.items) out.nodes = nodes.items;
  if (nodes.removed) out.removedNodes = nodes.removed;
  if (sockets.items) out.sockets = sockets.items;
  if (sockets.removed) out.removedSockets = sockets.removed;
  if (edges.items) out.edges = edges.items;
  if (edges.removed) out.removedEdges = edges.removed;
  const collector = b.collector ?? a.collector;
  if (collector) out.collector = collector;
  if (a.urgent || b.urgent) out.urgent = true;
  return out;
}

export interface TimerApi {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: TimerApi = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Delivers merged diffs to `deliver` at most once per `minIntervalMs`; an urgent diff (a connection
 * down, a process gone) goes at once, but still at most once per `urgentIntervalMs`, so a burst of
 * exits cannot flood the webview.
 */
export class DiffCoalescer {
  private pending: TopologyDiff | undefined;
  private timer: unknown;
  private lastFlush = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deliver: (diff: TopologyDiff) => void,
    private readonly minIntervalMs = 100,
    private readonly timers: TimerApi = realTimers,
    private readonly urgentIntervalMs = 20,
  ) {}

  push(diff: TopologyDiff): void {
    this.pending = this.pending ? mergeDiffs(this.pending, diff) : diff;
    const interval = this.pending.urgent ? Math.min(this.urgentIntervalMs, this.minIntervalMs) : this.minIntervalMs;
    const wait = Math.max(0, this.lastFlush + interval - this.timers.now());
    if (this.timer !== undefined) {
      if (!diff.urgent) return;
      // An urgent diff moves a pending flush forward, never back.
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (diff.urgent && wait === 0) this.flush();
    else this.timer = this.timers.setTimeout(() => this.flush(), wait);
  }

  /** Delivers what is pending now (and restarts the interval). */
  flush(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    const diff = this.pending;
    this.pending = undefined;
    if (diff) {
      this.lastFlush = this.timers.now();
      this.deliver(diff);
    }
  }

  /** Forgets what is pending (a snapshot is about to replace it). */
  discard(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  dispose(): void {
    this.discard();
  }
}
