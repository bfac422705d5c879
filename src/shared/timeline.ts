/**
 * The timeline under the graph (issue 16, docs/RECORDING.md): what the host tells the webview about the
 * span of time it can show (a recording, or the live graph's in-memory ring), and the "what changed
 * between t1 and t2" answer. Times are epoch milliseconds on the recording's (or the store's) clock.
 */

/** 0 = paused; otherwise replay runs at this multiple of real time. */
export type PlaySpeed = 0 | 1 | 10 | 100;
export const PLAY_SPEEDS: readonly PlaySpeed[] = [0, 1, 10, 100];

/** What a marker on the timeline stands for. */
export type TimelineMarkerKind = 'disconnect' | 'late' | 'exit' | 'retry-storm';

export interface TimelineMarker {
  at: number;
  kind: TimelineMarkerKind;
  /** One line for the tooltip, e.g. "worker-1 → broker: ⊘ WORKER_GONE". */
  text: string;
  /** Edge, socket or node id to reveal when the marker is chosen, if it names one. */
  id?: string;
}

export interface TimelineView {
  source: 'live' | 'recording';
  /** "last 10 min" for the live ring, the file name for a recording. */
  title: string;
  startAt: number;
  endAt: number;
  /** The instant the graph shows; null = following the live graph (live source only). */
  at: number | null;
  speed: PlaySpeed;
  /** Sorted by `at`; at most TIMELINE_LIMITS.markers (the host keeps the latest). */
  markers: TimelineMarker[];
}

export type ComparisonChangeKind = 'added' | 'removed' | 'state';

export interface ComparisonChange {
  change: ComparisonChangeKind;
  /** Edge, socket or node id (reveal target). */
  id: string;
  /** One line, e.g. "worker-1 → broker: connected → disconnected (WORKER_GONE)". */
  text: string;
}

export interface Comparison {
  from: number;
  to: number;
  changes: ComparisonChange[];
}

export const TIMELINE_LIMITS = {
  markers: 5000,
  changes: 5000,
} as const;

export function isPlaySpeed(x: unknown): x is PlaySpeed {
  return typeof x === 'number' && (PLAY_SPEEDS as readonly number[]).includes(x);
}

/** A finite epoch-ms instant (what the webview may ask the host to seek to or compare). */
export function isInstant(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}
