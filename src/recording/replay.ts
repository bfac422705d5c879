/**
 * Replay (docs/RECORDING.md "Replay"): the model at instant T is a TopologyStore fed with the
 * recording's inputs up to T, whose clock (the store's `now` option) is the recording's time, so the
 * snapshot at T is a function of the file and T alone. Seeking uses checkpoints: copies of the store
 * every `checkpointEveryMs` of recording time, made in one pass when the replay is opened; a seek
 * copies the nearest checkpoint at or before T and feeds it the inputs between. Snapshots are taken on
 * throwaway copies, so the order of seeks never changes an answer.
 *
 * The live store's sweep timer is replayed too (SweepClock): a sweep every sweepIntervalMs of
 * recording time from the start, and one at the instant an edge is due to cross a threshold, so the
 * replayed timelines hold the heartbeat-late/dead and recovered entries on the recording's clock.
 */
import { DEFAULT_STORE_OPTIONS, TopologyStore } from '../model/store';
import type { TopologySnapshot } from '../shared/snapshot';
import type { TimelineMarker } from '../shared/timeline';
import { Kind, type Entry } from './format';
import { readRecordingFile, type Recording } from './reader';
import { MarkerCollector } from './timeline';

export const DEFAULT_CHECKPOINT_EVERY_MS = 10_000;

export interface ReplayOptions {
  /** Recording time between checkpoints (default 10 s); 0 = none (each seek replays from the start). */
  checkpointEveryMs?: number;
  /** Collect the timeline's markers in the checkpoint pass (`markers`); default false. */
  markers?: boolean;
}

export interface SeekOptions {
  /**
   * Whether inputs stamped exactly T are applied (default true). A live snapshot taken in the same
   * millisecond as an input may have been taken before or after it.
   */
  inclusive?: boolean;
}

interface Cursor {
  store: TopologyStore;
  /** Entries applied: entries[0..index). */
  index: number;
  sweeps: SweepClock;
}

/**
 * When the live store's sweeps would run, on a replay's clock: every `intervalMs` from `startAt` (the
 * timer), and at the instant the last sweep said the next edge is due, when that comes before the next
 * regular sweep (the store's due sweep). At one instant, inputs go first, then the sweep.
 */
export class SweepClock {
  private next: number;
  private due = Infinity;

  constructor(startAt: number, private readonly intervalMs: number = DEFAULT_STORE_OPTIONS.sweepIntervalMs) {
    this.next = startAt + intervalMs;
  }

  copy(): SweepClock {
    const c = new SweepClock(0, this.intervalMs);
    c.next = this.next;
    c.due = this.due;
    return c;
  }

  /** Runs the sweeps due before `t` (at or before, when `inclusive`); `setClock` moves the store's clock first. */
  runUntil(store: TopologyStore, t: number, inclusive: boolean, setClock: (at: number) => void): void {
    for (;;) {
      const at = Math.min(this.next, this.due);
      if (at > t || (!inclusive && at === t)) return;
      setClock(at);
      const due = store.sweep(at);
      if (at >= this.next) this.next += this.intervalMs * Math.max(1, Math.ceil((at - this.next + 1) / this.intervalMs));
      this.due = due > at && due < this.next ? due : Infinity;
    }
  }
}

export class Replay {
  private clock: number;
  /** Each entry's place in time: the latest time seen up to it (times may run a millisecond back). */
  private readonly order: Float64Array;
  private readonly checkpoints: (Cursor & { at: number })[] = [];
  private readonly markerList: TimelineMarker[] | undefined;
  /** Inputs the model refused by throwing (a bug, never a crash of the replay). */
  failures = 0;

  constructor(readonly recording: Recording, options: ReplayOptions = {}) {
    this.clock = recording.startAt;
    this.order = new Float64Array(recording.entries.length);
    let latest = recording.startAt;
    recording.entries.forEach((e, i) => {
      if (e.at > latest) latest = e.at;
      this.order[i] = latest;
    });
    const every = options.checkpointEveryMs ?? DEFAULT_CHECKPOINT_EVERY_MS;
    const markers = options.markers ? new MarkerCollector(this.stormRule()) : undefined;
    if (every > 0 || markers) this.buildCheckpoints(every > 0 ? every : DEFAULT_CHECKPOINT_EVERY_MS, every > 0, markers);
    this.markerList = markers?.list();
  }

  /** The timeline's markers (docs/RECORDING.md "Timeline"), when opened with `markers: true`. */
  get markers(): TimelineMarker[] {
    return this.markerList ?? [];
  }

  static open(file: string, options?: ReplayOptions): Replay {
    return new Replay(readRecordingFile(file), options);
  }

  get startAt(): number {
    return this.recording.startAt;
  }

  get endAt(): number {
    return this.recording.endAt;
  }

  /** The snapshot (docs/SNAPSHOT.md) at T (collector clock), ages computed at T. */
  snapshotAt(t: number, options: SeekOptions = {}): TopologySnapshot {
    const stop = this.indexAt(t, options.inclusive ?? true);
    const base = this.checkpointBefore(stop);
    const cursor = base ? copyCursor(base) : this.newCursor();
    this.advance(cursor, stop);
    this.sweepUntil(cursor, t, true);
    this.clock = t;
    return cursor.store.snapshot();
  }

  /** The same without checkpoints or copies: one pass from the start (the CLI's one-shot --at). */
  static snapshotOnce(recording: Recording, t: number, options: SeekOptions = {}): { snapshot: TopologySnapshot; failures: number } {
    const replay = new Replay(recording, { checkpointEveryMs: 0 });
    const cursor = replay.newCursor();
    replay.advance(cursor, replay.indexAt(t, options.inclusive ?? true));
    replay.sweepUntil(cursor, t, true);
    replay.clock = t;
    return { snapshot: cursor.store.snapshot(), failures: replay.failures };
  }

  /** Number of entries applied for instant T: those placed before T (and at T when inclusive). */
  indexAt(t: number, inclusive = true): number {
    const order = this.order;
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = order[mid]!;
      if (at < t || (inclusive && at === t)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get checkpointCount(): number {
    return this.checkpoints.length;
  }

  private newCursor(): Cursor {
    // Never started: no sweep timer, no diffs. The clock is the recording's.
    const store = new TopologyStore({ ...this.recording.header.store, now: () => this.clock });
    return { store, index: 0, sweeps: new SweepClock(this.startAt) };
  }

  private stormRule(): { count: number; windowMs: number } {
    return this.recording.header.store.retryStorm ?? DEFAULT_STORE_OPTIONS.retryStorm;
  }

  private sweepUntil(cursor: Cursor, t: number, inclusive: boolean): void {
    cursor.sweeps.runUntil(cursor.store, t, inclusive, (at) => (this.clock = at));
  }

  private checkpointBefore(index: number): (Cursor & { at: number }) | undefined {
    let lo = 0;
    let hi = this.checkpoints.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.checkpoints[mid]!.index <= index) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? this.checkpoints[lo - 1] : undefined;
  }

  /**
   * One pass: a checkpoint every `every` ms (when `keep`), and the markers seen on a throwaway copy
   * swept up to each of those instants and to the end (a snapshot resolves the graph: never on the pass's own store).
   */
  private buildCheckpoints(every: number, keep: boolean, markers: MarkerCollector | undefined): void {
    const entries = this.recording.entries;
    const cursor = this.newCursor();
    const observe = (at: number) => {
      if (!markers) return;
      const copy = copyCursor(cursor);
      this.sweepUntil(copy, at, true);
      this.clock = at;
      markers.observe(copy.store.snapshot());
    };
    for (let next = this.startAt + every; cursor.index < entries.length; next += every) {
      const stop = this.indexAt(next, true);
      if (stop === cursor.index) continue;
      this.advance(cursor, stop);
      if (keep) this.checkpoints.push({ ...copyCursor(cursor), at: next });
      observe(Math.min(next, this.endAt));
    }
    observe(this.endAt);
  }

  private advance(cursor: Cursor, stop: number): void {
    const entries = this.recording.entries;
    for (; cursor.index < stop; cursor.index++) {
      const e = entries[cursor.index]!;
      this.sweepUntil(cursor, this.order[cursor.index]!, false);
      this.clock = this.order[cursor.index]!;
      try {
        applyEntry(cursor.store, e);
      } catch {
        this.failures++;
      }
    }
  }
}

function copyCursor(c: Cursor): Cursor {
  return { store: c.store.clone(), index: c.index, sweeps: c.sweeps.copy() };
}

export function applyEntry(store: TopologyStore, e: Entry): void {
  switch (e.kind) {
    case Kind.Telemetry:
      store.apply(e.agentKey, e.msg, e.at);
      break;
    case Kind.AgentGone:
      store.agentGone(e.agentKey, e.reason, e.at);
      break;
    case Kind.Malformed:
      store.malformed(e.agentKey, e.reason, e.detail);
      break;
    case Kind.CollectorStatus:
      store.setCollectorStatus(e.status);
      break;
    case Kind.ClearExited:
      store.clearExited();
      break;
    case Kind.KernelPeers:
      store.setKernelPeers(new Map(e.found));
      break;
    case Kind.End:
      break;
  }
}
