/**
 * The timeline bar's pure parts (timeline.ts draws them): instant ↔ x, step sizes, marker
 * navigation and grouping, the texts (offsets, the slider's words, comparison lines) and the seek
 * throttle. No DOM: tested in Node (test/unit/webview-timeline.test.ts).
 */
import { formatTime } from '../src/shared/format';
import type { ComparisonChangeKind, TimelineMarker, TimelineMarkerKind, TimelineView } from '../src/shared/timeline';

export interface Span {
  startAt: number;
  endAt: number;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** The span's length in ms (never 0, so a fresh ring with one instant still maps). */
export function spanLength(span: Span): number {
  return Math.max(1, span.endAt - span.startAt);
}

export function clampInstant(at: number, span: Span): number {
  return clamp(at, span.startAt, span.endAt);
}

/** Where instant `at` sits on a track `width` pixels wide. */
export function xOfInstant(at: number, span: Span, width: number): number {
  return ((clampInstant(at, span) - span.startAt) / spanLength(span)) * Math.max(0, width);
}

/** The instant under pixel `x` of a track `width` pixels wide (whole ms, within the span). */
export function instantAtX(x: number, span: Span, width: number): number {
  if (width <= 0) {
    return span.startAt;
  }
  return Math.round(span.startAt + clamp(x / width, 0, 1) * (span.endAt - span.startAt));
}

/** The instant the graph shows: the host's `at`, or the span's end while following live. */
export function shownInstant(view: TimelineView): number {
  return view.at === null ? view.endAt : clampInstant(view.at, view);
}

/** Round step sizes the keys move by (ms). */
const NICE_STEPS = [100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000];

function niceStep(target: number): number {
  return NICE_STEPS.find((step) => step >= target) ?? NICE_STEPS[NICE_STEPS.length - 1];
}

/** ←/→ move by about 1/100 of the span, Shift+←/→ by about 1/10, both rounded to a readable size. */
export function stepSizes(span: Span): { small: number; big: number } {
  const length = spanLength(span);
  const small = niceStep(length / 100);
  return { small, big: Math.max(small, niceStep(length / 10)) };
}

/** Index of the first marker at or after `at` (markers sorted by `at`). */
function firstAtOrAfter(markers: readonly TimelineMarker[], at: number): number {
  let low = 0;
  let high = markers.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (markers[mid].at < at) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low;
}

/** The first marker strictly after `at` (PageDown, "next event"), or undefined. */
export function nextMarker(markers: readonly TimelineMarker[], at: number): TimelineMarker | undefined {
  return markers[firstAtOrAfter(markers, at + 1)];
}

/** The last marker strictly before `at` (PageUp, "previous event"), or undefined. */
export function previousMarker(markers: readonly TimelineMarker[], at: number): TimelineMarker | undefined {
  const index = firstAtOrAfter(markers, at) - 1;
  return index >= 0 ? markers[index] : undefined;
}

/** Texts listed in one drawn marker's tooltip; the rest are counted. */
export const MARKER_TEXTS_SHOWN = 5;
/** Markers of one kind closer than this (px) are drawn as one. */
export const MARKER_BUCKET_PX = 4;

/** One drawn marker: the markers of one kind that fall on the same few pixels. */
export interface MarkerMark {
  kind: TimelineMarkerKind;
  x: number;
  /** Vertical lane, an offset in MARKER_LANE_PX from the axis: marks that would overlap are stacked. */
  lane: number;
  /** The first of them: a click seeks here and reveals its id. */
  first: TimelineMarker;
  count: number;
  /** The tooltip. */
  title: string;
}

/**
 * Groups markers into what is drawn: at most one mark per kind every MARKER_BUCKET_PX pixels, so 5,000
 * markers on a narrow bar stay a few hundred elements, and each mark's tooltip says what it holds.
 */
export function markerMarks(markers: readonly TimelineMarker[], span: Span, width: number): MarkerMark[] {
  const marks = new Map<string, { kind: TimelineMarkerKind; x: number; items: TimelineMarker[] }>();
  for (const marker of markers) {
    if (marker.at < span.startAt || marker.at > span.endAt) {
      continue;
    }
    const bucket = Math.floor(xOfInstant(marker.at, span, width) / MARKER_BUCKET_PX);
    const key = `${marker.kind}:${bucket}`;
    const mark = marks.get(key);
    if (mark) {
      mark.items.push(marker);
    } else {
      marks.set(key, { kind: marker.kind, x: xOfInstant(marker.at, span, width), items: [marker] });
    }
  }
  const grouped = [...marks.values()];
  const lanes = markerLanes(grouped.map((mark) => mark.x));
  return grouped.map(({ kind, x, items }, i) => {
    const lines = items.slice(0, MARKER_TEXTS_SHOWN).map((m) => `${formatTime(m.at)} ${m.text}`);
    if (items.length > MARKER_TEXTS_SHOWN) {
      lines.push(`… and ${items.length - MARKER_TEXTS_SHOWN} more`);
    }
    return { kind, x, lane: lanes[i], first: items[0], count: items.length, title: lines.join('\n') };
  });
}

/** A drawn marker's width (px): closer marks would cover each other. */
export const MARKER_SIZE_PX = 10;
/** Lanes from the axis outwards, in MARKER_LANE_PX steps. */
const LANES = [0, -1, 1, -2, 2];
export const MARKER_LANE_PX = 6.5;

/**
 * The lane of each mark (given their x): in x order, each takes the first lane free at its x, so marks
 * of different kinds at one instant (a disconnect and the exit behind it) can each be seen and clicked.
 * Past LANES.length at one place, the lane free the longest is shared.
 */
export function markerLanes(xs: readonly number[]): number[] {
  const lastX = LANES.map(() => Number.NEGATIVE_INFINITY);
  const lanes = new Array<number>(xs.length).fill(0);
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  for (const i of order) {
    let lane = lastX.findIndex((last) => xs[i] - last >= MARKER_SIZE_PX);
    if (lane < 0) {
      lane = lastX.indexOf(Math.min(...lastX));
    }
    lastX[lane] = xs[i];
    lanes[i] = LANES[lane];
  }
  return lanes;
}

export const MARKER_KIND_LABELS: Readonly<Record<TimelineMarkerKind, string>> = {
  disconnect: 'disconnect',
  late: 'late heartbeat',
  exit: 'process exit',
  'retry-storm': 'retry storm',
};

/** "12.5 s", "3 min 05.0 s", "1 h 02 min 05 s": a length of time, short. */
export function formatSpan(ms: number): string {
  const total = Math.max(0, ms);
  if (total < 60_000) {
    return `${(total / 1000).toFixed(1)} s`;
  }
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = (total % 60_000) / 1000;
  if (hours === 0) {
    return `${minutes} min ${seconds.toFixed(1).padStart(4, '0')} s`;
  }
  return `${hours} h ${String(minutes).padStart(2, '0')} min ${String(Math.floor(seconds)).padStart(2, '0')} s`;
}

/** "12.5 seconds", "3 minutes 5 seconds", "1 hour 2 minutes": a length of time in words (screen readers). */
export function spanInWords(ms: number): string {
  const total = Math.max(0, ms);
  const unit = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (total < 60_000) {
    const seconds = Math.round(total / 100) / 10;
    return `${seconds} second${seconds === 1 ? '' : 's'}`;
  }
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = Math.round((total % 60_000) / 1000);
  const parts = hours > 0 ? [unit(hours, 'hour'), unit(minutes, 'minute')] : [unit(minutes, 'minute'), unit(seconds, 'second')];
  return parts.filter((part) => !part.startsWith('0 ')).join(' ') || unit(0, 'second');
}

/**
 * Where an instant sits, short: a recording counts from its start ("+12.5 s"); the live ring counts back
 * from now ("−30.0 s"), and "live" while following it.
 */
export function offsetText(view: TimelineView, at: number | null): string {
  if (view.source === 'live') {
    return at === null ? 'live' : `−${formatSpan(view.endAt - clampInstant(at, view))}`;
  }
  return `+${formatSpan(clampInstant(at ?? view.endAt, view) - view.startAt)}`;
}

/** The slider's aria-valuetext: the instant in words, with its clock time. */
export function instantInWords(view: TimelineView, at: number | null): string {
  if (view.source === 'live' && at === null) {
    return 'live: following the running system';
  }
  const instant = at === null ? view.endAt : clampInstant(at, view);
  const where = view.source === 'live'
    ? `${spanInWords(view.endAt - instant)} ago`
    : `${spanInWords(instant - view.startAt)} from the start`;
  return `${where}, at ${formatTime(instant)}`;
}

/** The two instants to compare, in order (the mark and the instant shown). */
export function compareRange(mark: number, at: number): { from: number; to: number } {
  return { from: Math.min(mark, at), to: Math.max(mark, at) };
}

export const CHANGE_GLYPHS: Readonly<Record<ComparisonChangeKind, string>> = {
  added: '+',
  removed: '−',
  state: '~',
};

/**
 * Where a comparison's item can be seen: an item that was removed exists at `from`, one that was added
 * (or changed state) at `to`.
 */
export function revealInstant(change: ComparisonChangeKind, range: { from: number; to: number }): number {
  return change === 'removed' ? range.from : range.to;
}

/** Seeks while dragging are at most this frequent (the host re-plays a model for each). */
export const SEEK_INTERVAL_MS = 100;

/**
 * Rate-limits seeks: the first goes out at once, then at most one per interval, and the latest one
 * always goes out (at the end of the interval, or at once on flush()), so the host ends on the final
 * position. The clock and timer are injected (the webview passes performance.now and setTimeout).
 */
export class SeekThrottle<T> {
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private pending: { value: T } | null = null;
  private timerSet = false;

  constructor(
    private readonly send: (value: T) => void,
    private readonly now: () => number,
    private readonly schedule: (run: () => void, ms: number) => unknown,
    private readonly intervalMs = SEEK_INTERVAL_MS,
  ) {}

  push(value: T): void {
    this.pending = { value };
    const wait = this.lastSentAt + this.intervalMs - this.now();
    if (wait <= 0) {
      this.flush();
    } else if (!this.timerSet) {
      this.timerSet = true;
      this.schedule(() => {
        this.timerSet = false;
        this.flush();
      }, wait);
    }
  }

  /** Sends what is pending now (the end of a drag). */
  flush(): void {
    if (this.pending !== null) {
      const { value } = this.pending;
      this.pending = null;
      this.lastSentAt = this.now();
      this.send(value);
    }
  }

  /** Drops what is pending (a newer choice made another way, e.g. "Live"). */
  cancel(): void {
    this.pending = null;
  }
}

/** How long the bar shows the user's own choice before the host's word wins again (a lost seek is not shown forever). */
export const CHOICE_HOLD_MS = 1000;

/** The user's latest choice on the bar (a drag, a key, a click), not yet confirmed by the host. */
export interface LocalChoice {
  at: number | null;
  since: number;
}

/**
 * The instant the bar shows: the user's own choice while dragging and until the host's timeline says
 * the same (or CHOICE_HOLD_MS passed), so the handle does not jump back while the seek is on its way.
 */
export function barInstant(view: TimelineView, local: LocalChoice | null, now: number, dragging: boolean): number | null {
  if (local !== null && (dragging || (local.at !== view.at && now - local.since < CHOICE_HOLD_MS))) {
    return local.at;
  }
  return view.at;
}

/** Rows of an edge's timeline the details pane lists: those at or before `until` (null: all), the latest `rows`. */
export function entriesUntil<T extends { at: number }>(entries: readonly T[], until: number | null, rows: number): T[] {
  const upTo = until === null ? entries : entries.filter((entry) => entry.at <= until);
  return upTo.slice(-rows);
}

/** The outline of a marker of each kind around (x, y): the shape tells the kind without colour. */
export function markerPath(kind: TimelineMarkerKind, x: number, y: number): string {
  const r = 4.5;
  switch (kind) {
    case 'disconnect': // circle
      return `M${x - r},${y}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0Z`;
    case 'late': // triangle
      return `M${x},${y - r - 1}L${x + r + 0.5},${y + r}L${x - r - 0.5},${y + r}Z`;
    case 'exit': // square
      return `M${x - r + 0.5},${y - r + 0.5}h${2 * r - 1}v${2 * r - 1}h${-(2 * r - 1)}Z`;
    case 'retry-storm': // diamond
      return `M${x},${y - r - 1}L${x + r + 1},${y}L${x},${y + r + 1}L${x - r - 1},${y}Z`;
  }
}
