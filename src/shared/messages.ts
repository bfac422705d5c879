/**
 * The postMessage protocol between the extension host (src/views/graphPanel.ts) and the graph
 * webview (webview/main.ts). Plain JSON both ways. The host must treat everything the webview
 * sends as untrusted and check it with isWebviewMessage() before acting on it.
 */
import type { TopologyDiff, TopologySnapshot } from './snapshot';
import { isInstant, isPlaySpeed, type Comparison, type PlaySpeed, type TimelineView } from './timeline';

/** Host → webview. */
export type HostMessage =
  /** The whole picture; replaces the webview's model (sent after `ready`, and after a reset). */
  | { type: 'snapshot'; snapshot: TopologySnapshot }
  /** Changes since the previous snapshot/diff. */
  | { type: 'diff'; diff: TopologyDiff }
  /** Select and center a socket, node or edge by id (e.g. from the tree view). */
  | { type: 'reveal'; id: string }
  /** The host's paused state (so the toolbar button shows the truth after a reload). */
  | { type: 'paused'; paused: boolean }
  /** Ask for the current graph as a standalone SVG document; answered with `svg`. */
  | { type: 'requestSvg'; requestId: number }
  /** Show (or, with null, hide) the timeline under the graph; the graph's snapshots follow its `at`. */
  | { type: 'timeline'; timeline: TimelineView | null }
  /** Answer to `compare`. */
  | { type: 'comparison'; comparison: Comparison }
  /** The graph's settings (sent after `ready`, and when they change). */
  | { type: 'options'; options: GraphOptions };

/** What the graph's settings (zmqTopology.graph.*) tell the webview. */
export interface GraphOptions {
  /** Above this many alike peers on one bound socket they are drawn as one group (0: never). */
  groupThreshold: number;
}

/** Webview → host. */
export type WebviewMessage =
  /** The webview has loaded and wants a snapshot. */
  | { type: 'ready' }
  /** Open the creation site of this socket (SocketView.site) in an editor. */
  | { type: 'goToSource'; socketId: string }
  /** The selection changed (socket/node/edge id, or null for none). */
  | { type: 'selected'; id: string | null }
  /** Put this text on the clipboard. */
  | { type: 'copy'; text: string }
  /** Answer to `requestSvg`. */
  | { type: 'svg'; requestId: number; svg: string }
  /** The user pressed pause/resume in the toolbar. */
  | { type: 'setPaused'; paused: boolean }
  /** Show the graph as it was at this instant; null = follow the live graph again. */
  | { type: 'seek'; at: number | null }
  /** Play the timeline from its current instant at this speed (0 pauses). */
  | { type: 'play'; speed: PlaySpeed }
  /** What changed between two instants (answered with `comparison`). */
  | { type: 'compare'; from: number; to: number };

export type HostMessageType = HostMessage['type'];
export type WebviewMessageType = WebviewMessage['type'];

/** Caps on what the host accepts from the webview (a compromised webview must not flood it). */
export const WEBVIEW_MESSAGE_LIMITS = {
  idChars: 2048,
  copyChars: 1024 * 1024,
  svgChars: 32 * 1024 * 1024,
} as const;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isBoundedString(x: unknown, max: number): x is string {
  return typeof x === 'string' && x.length <= max;
}

function isRequestId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** True when `x` is a well-formed message from the webview (exact shape, bounded sizes). */
export function isWebviewMessage(x: unknown): x is WebviewMessage {
  if (!isRecord(x)) {
    return false;
  }
  switch (x.type) {
    case 'ready':
      return true;
    case 'goToSource':
      return isBoundedString(x.socketId, WEBVIEW_MESSAGE_LIMITS.idChars);
    case 'selected':
      return x.id === null || isBoundedString(x.id, WEBVIEW_MESSAGE_LIMITS.idChars);
    case 'copy':
      return isBoundedString(x.text, WEBVIEW_MESSAGE_LIMITS.copyChars);
    case 'svg':
      return isRequestId(x.requestId) && isBoundedString(x.svg, WEBVIEW_MESSAGE_LIMITS.svgChars);
    case 'setPaused':
      return typeof x.paused === 'boolean';
    case 'seek':
      return x.at === null || isInstant(x.at);
    case 'play':
      return isPlaySpeed(x.speed);
    case 'compare':
      return isInstant(x.from) && isInstant(x.to);
    default:
      return false;
  }
}

/** True when `x` looks like a message from the host (the webview checks before use, cheaply). */
export function isHostMessage(x: unknown): x is HostMessage {
  if (!isRecord(x)) {
    return false;
  }
  switch (x.type) {
    case 'snapshot':
      return isRecord(x.snapshot) && Array.isArray(x.snapshot.nodes) && Array.isArray(x.snapshot.sockets) && Array.isArray(x.snapshot.edges);
    case 'diff':
      return isRecord(x.diff) && typeof x.diff.takenAt === 'number';
    case 'reveal':
      return typeof x.id === 'string';
    case 'paused':
      return typeof x.paused === 'boolean';
    case 'requestSvg':
      return isRequestId(x.requestId);
    case 'timeline':
      return x.timeline === null || (isRecord(x.timeline) && Array.isArray(x.timeline.markers));
    case 'comparison':
      return isRecord(x.comparison) && Array.isArray(x.comparison.changes);
    case 'options':
      return isRecord(x.options) && typeof x.options.groupThreshold === 'number' && Number.isFinite(x.options.groupThreshold);
    default:
      return false;
  }
}
