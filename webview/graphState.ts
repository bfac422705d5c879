/**
 * The webview's mutable state, as one object the bootstrap (main.ts) creates and hands to the
 * modules: what was received (model, clock), what the user chose (view), what is drawn (visible and
 * its indexes, the sockets' slots) and the page's modes. Pure: no DOM.
 */
import { CollectorClock, GraphModel, type VisibleGraph } from './graphModel';
import type { ViewState } from './viewState';

/** Where a visible socket sits relative to its group's center. */
export interface SocketSlot {
  groupId: string;
  /** From the group's top edge to the socket box's top edge. */
  top: number;
  /** From the group's center to the socket's center. */
  dy: number;
}

/** Index of each id in visible.groups / visible.sockets / visible.edges. */
export type VisibleIndex = Record<'groups' | 'sockets' | 'edges', Map<string, number>>;

export interface GraphState {
  readonly model: GraphModel;
  readonly clock: CollectorClock;
  readonly view: ViewState;
  /** What the last full render drew (patches replace items in place). */
  visible: VisibleGraph;
  index: VisibleIndex;
  /** Slots of the visible sockets, refreshed by every full render. */
  readonly slots: Map<string, SocketSlot>;
  /** Large graphs are drawn on a canvas (canvasRenderer.ts); the SVG stays for small ones and for export. */
  canvasMode: boolean;
  paused: boolean;
  /** Updates received while paused. */
  heldUpdates: number;
  receivedAnything: boolean;
  /** The user panned or zoomed (or a saved transform was restored): no automatic fit. */
  userMovedView: boolean;
  /** The past instant the timeline shows (the host's snapshots are of it); null: live, or no timeline. */
  instant: number | null;
}

export function createGraphState(view: ViewState): GraphState {
  return {
    model: new GraphModel(),
    clock: new CollectorClock(),
    view,
    visible: { groups: [], sockets: [], edges: [], matched: new Set() },
    index: { groups: new Map(), sockets: new Map(), edges: new Map() },
    slots: new Map(),
    canvasMode: false,
    paused: false,
    heldUpdates: 0,
    receivedAnything: false,
    userMovedView: view.transform !== null,
    instant: null,
  };
}

export function indexVisible(visible: VisibleGraph): VisibleIndex {
  return {
    groups: new Map(visible.groups.map((g, i) => [g.id, i])),
    sockets: new Map(visible.sockets.map((s, i) => [s.id, i])),
    edges: new Map(visible.edges.map((e, i) => [e.id, i])),
  };
}

/** Puts a patched item in its place in `visible` (an id without a place is not drawn). */
export function replaceVisible<T extends { id: string }>(list: T[], index: ReadonlyMap<string, number>, item: T): void {
  const at = index.get(item.id);
  if (at !== undefined) {
    list[at] = item;
  }
}

/** Collector-clock now. */
export function collectorNow(state: GraphState): number {
  return state.clock.now(Date.now());
}
