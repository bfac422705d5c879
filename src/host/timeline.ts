/**
 * The timeline service (issue 16, docs/RECORDING.md "Timeline"): what the webview's seek, play and
 * compare messages do to a source of past pictures — a recording's Replay or the live graph's ring —
 * and what goes back (TimelineView, snapshots, Comparison). Pure: the clock and timers are given, the
 * output is a set of callbacks; the graph panel and the recording editor wire it to a webview.
 *
 * Play advances the instant by speed × elapsed time on a tick of PLAY_TICK_MS (at most 10 snapshots a
 * second, never a flood), sends the timeline view at most once a second while playing (the snapshot's
 * takenAt is the instant in between), stops at the end of a recording, and follows the live graph
 * again when a live timeline reaches now.
 */
import { Replay } from '../recording/replay';
import type { InputRing } from '../recording/ring';
import { compareSnapshots, nextMarker, previousMarker } from '../recording/timeline';
import type { TopologySnapshot } from '../shared/snapshot';
import { TIMELINE_LIMITS, type Comparison, type PlaySpeed, type TimelineMarker, type TimelineView } from '../shared/timeline';

export const PLAY_TICK_MS = 100;
const VIEW_WHILE_PLAYING_MS = 1000;

export interface TimelineSource {
  readonly source: TimelineView['source'];
  readonly title: string;
  readonly startAt: number;
  readonly endAt: number;
  snapshotAt(t: number): TopologySnapshot;
  /** Sorted by time. */
  markers(): TimelineMarker[];
}

export interface TimelineOutput {
  timeline(view: TimelineView): void;
  /** The picture at the timeline's instant. */
  snapshot(snapshot: TopologySnapshot): void;
  comparison(comparison: Comparison): void;
  /** A live timeline follows the live graph again (the panel sends the live snapshot and diffs). */
  follow(): void;
  /** A seek or compare failed: one line for the user (never thrown at the webview). */
  error(message: string): void;
}

export interface TimelineClock {
  now(): number;
  setInterval(f: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const REAL_CLOCK: TimelineClock = {
  now: () => performance.now(),
  setInterval: (f, ms) => setInterval(f, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

export class TimelineService {
  private instant: number | null;
  private speed: PlaySpeed = 0;
  private timer: unknown;
  private lastTick = 0;
  private lastViewAt = -Infinity;

  constructor(private readonly src: TimelineSource, private readonly out: TimelineOutput, private readonly clock: TimelineClock = REAL_CLOCK) {
    // A recording opens at its end (how things were left); play from there starts over.
    this.instant = src.source === 'live' ? null : src.endAt;
  }

  /** The instant shown; null = following the live graph. */
  get at(): number | null {
    return this.instant;
  }

  get playing(): PlaySpeed {
    return this.speed;
  }

  view(): TimelineView {
    const markers = this.src.markers();
    return {
      source: this.src.source, title: this.src.title, startAt: this.src.startAt, endAt: this.src.endAt, at: this.instant, speed: this.speed,
      markers: markers.length > TIMELINE_LIMITS.markers ? markers.slice(-TIMELINE_LIMITS.markers) : markers,
    };
  }

  /** Sends the view (and, when not following live, the picture at the instant). */
  refresh(): void {
    this.sendView();
    if (this.instant !== null) this.show(this.instant);
  }

  /** Shows the picture at `at` (clamped to the source's span); null follows the live graph (live only). */
  seek(at: number | null): void {
    this.stopTimer();
    this.speed = 0;
    if (at === null && this.src.source === 'live') {
      this.instant = null;
      this.out.follow();
    } else {
      this.instant = this.clamp(at ?? this.src.startAt);
      this.show(this.instant);
    }
    this.sendView();
  }

  /** Plays from the current instant at `speed` (0 pauses). */
  play(speed: PlaySpeed): void {
    this.stopTimer();
    this.speed = speed;
    if (speed !== 0) {
      if (this.instant === null) this.instant = this.src.startAt;
      if (this.src.source === 'recording' && this.instant >= this.src.endAt) this.instant = this.src.startAt;
      this.lastTick = this.clock.now();
      this.timer = this.clock.setInterval(() => this.tick(), PLAY_TICK_MS);
      if (this.instant !== null) this.show(this.instant);
    }
    this.sendView();
  }

  /** Moves to the next (1) or previous (-1) marker from the current instant; false when there is none. */
  jump(direction: 1 | -1): boolean {
    const from = this.instant ?? this.src.endAt;
    const markers = this.src.markers();
    const m = direction === 1 ? nextMarker(markers, from) : previousMarker(markers, from);
    if (!m) return false;
    this.seek(m.at);
    return true;
  }

  compare(from: number, to: number): void {
    try {
      const a = this.src.snapshotAt(this.clamp(Math.min(from, to)));
      const b = this.src.snapshotAt(this.clamp(Math.max(from, to)));
      this.out.comparison(compareSnapshots(a, b));
    } catch (err) {
      this.out.error(`cannot compare: ${(err as Error).message}`);
    }
  }

  dispose(): void {
    this.stopTimer();
  }

  private tick(): void {
    const now = this.clock.now();
    const elapsed = now - this.lastTick;
    this.lastTick = now;
    const next = (this.instant ?? this.src.startAt) + elapsed * this.speed;
    const end = this.src.endAt;
    if (next >= end) {
      if (this.src.source === 'live') {
        this.seek(null);
        return;
      }
      this.stopTimer();
      this.speed = 0;
      this.instant = end;
      this.show(end);
      this.sendView();
      return;
    }
    this.instant = next;
    this.show(next);
    if (now - this.lastViewAt >= VIEW_WHILE_PLAYING_MS) this.sendView();
  }

  private show(at: number): void {
    try {
      this.out.snapshot(this.src.snapshotAt(at));
    } catch (err) {
      this.stopTimer();
      this.speed = 0;
      this.out.error(`cannot show ${new Date(at).toISOString()}: ${(err as Error).message}`);
    }
  }

  private sendView(): void {
    this.lastViewAt = this.clock.now();
    this.out.timeline(this.view());
  }

  private clamp(t: number): number {
    return Math.min(Math.max(t, this.src.startAt), this.src.endAt);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.clock.clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * Opens a .zmqrec for the timeline (checkpoints and markers made in one pass). A damaged file opens
 * with its readable part and `problem` (the reader's sentence: what is wrong, how much was read);
 * a file that is not a recording at all throws a RecordingError with a clear message.
 */
export function openReplay(file: string): { replay: Replay; problem?: string } {
  const replay = Replay.open(file, { markers: true });
  const problem = replay.recording.problem?.message;
  return problem ? { replay, problem } : { replay };
}

/** A recording's replay as a timeline source (markers collected when it was opened). */
export function replaySource(replay: Replay, title: string): TimelineSource {
  const markers = replay.markers.filter((m) => m.at >= replay.startAt);
  return {
    source: 'recording', title, startAt: replay.startAt, endAt: replay.endAt,
    snapshotAt: (t) => replay.snapshotAt(t),
    markers: () => markers,
  };
}

/** The live ring as a timeline source. */
export function ringSource(ring: InputRing, minutes: number): TimelineSource {
  return {
    source: 'live', title: `last ${minutes} min`,
    get startAt() {
      return ring.startAt;
    },
    get endAt() {
      return ring.endAt;
    },
    snapshotAt: (t) => ring.snapshotAt(t),
    markers: () => ring.markers(),
  };
}
