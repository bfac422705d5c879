/**
 * Replay (docs/RECORDING.md "Replay"): the model at instant T is a TopologyStore fed with the
 * recording's inputs up to T, whose clock (the store's `now` option) is the recording's time, so the
 * snapshot at T is a function of the file and T alone. Seeking uses checkpoints: copies of the store
 * every `checkpointEveryMs` of recording time, made in one pass when the replay is opened; a seek
 * copies the nearest checkpoint at or before T and feeds it the inputs between. Snapshots are taken on
 * throwaway copies, so the order of seeks never changes an answer.
 */
import { TopologyStore } from '../model/store';
import type { TopologySnapshot } from '../shared/snapshot';
import { Kind, type Entry } from './format';
import { readRecordingFile, type Recording } from './reader';
import { cloneStore } from './storeClone';

export const DEFAULT_CHECKPOINT_EVERY_MS = 10_000;

export interface ReplayOptions {
  /** Recording time between checkpoints (default 10 s); 0 = none (each seek replays from the start). */
  checkpointEveryMs?: number;
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
}

export class Replay {
  private clock: number;
  /** Each entry's place in time: the latest time seen up to it (times may run a millisecond back). */
  private readonly order: Float64Array;
  private readonly checkpoints: (Cursor & { at: number })[] = [];
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
    if (every > 0) this.buildCheckpoints(every);
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
    const cursor = base ? { store: cloneStore(base.store), index: base.index } : { store: this.newStore(), index: 0 };
    this.advance(cursor, stop);
    this.clock = t;
    return cursor.store.snapshot();
  }

  /** The same without checkpoints or copies: one pass from the start (the CLI's one-shot --at). */
  static snapshotOnce(recording: Recording, t: number, options: SeekOptions = {}): { snapshot: TopologySnapshot; failures: number } {
    const replay = new Replay(recording, { checkpointEveryMs: 0 });
    const cursor = { store: replay.newStore(), index: 0 };
    replay.advance(cursor, replay.indexAt(t, options.inclusive ?? true));
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

  private newStore(): TopologyStore {
    // Never started: no sweep timer, no diffs. The clock is the recording's.
    return new TopologyStore({ ...this.recording.header.store, now: () => this.clock });
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

  private buildCheckpoints(every: number): void {
    const entries = this.recording.entries;
    const cursor: Cursor = { store: this.newStore(), index: 0 };
    for (let next = this.startAt + every; cursor.index < entries.length; next += every) {
      const stop = this.indexAt(next, true);
      if (stop === cursor.index) continue;
      this.advance(cursor, stop);
      this.checkpoints.push({ at: next, index: stop, store: cloneStore(cursor.store) });
    }
  }

  private advance(cursor: Cursor, stop: number): void {
    const entries = this.recording.entries;
    for (; cursor.index < stop; cursor.index++) {
      const e = entries[cursor.index]!;
      this.clock = this.order[cursor.index]!;
      try {
        applyEntry(cursor.store, e);
      } catch {
        this.failures++;
      }
    }
  }
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
    case Kind.End:
      break;
  }
}
