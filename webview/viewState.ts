/**
 * What survives hide/show and reload of the webview (acquireVsCodeApi().getState/setState).
 * getState can return anything an older version saved, so it is parsed, never trusted.
 */
import { EDGE_STATES, type EdgeState } from '../src/shared/snapshot';
import { SOCKET_TYPES, type SocketType } from '../src/shared/sockets';
import { NO_FILTERS, type Filters, type GraphModel } from './graphModel';

export type LayoutMode = 'force' | 'layered';
/** What the user chose: a layout, or 'auto' (never chosen: layered when there is a ROUTER, else force). */
export type LayoutChoice = LayoutMode | 'auto';

export interface ZoomState {
  x: number;
  y: number;
  k: number;
}

export interface ViewState {
  layout: LayoutChoice;
  filters: Filters;
  /** Null until the user (or a fit) set one: the first picture is then fitted to the view. */
  transform: ZoomState | null;
  selection: string | null;
  /** Process group centers by group id (pinned by layout, drag or the settled simulation). */
  positions: Record<string, [number, number]>;
  legendOpen: boolean;
}

/** Bound on saved positions: the store is bounded too, this only guards against a runaway state. */
export const MAX_SAVED_POSITIONS = 5000;

export const DEFAULT_VIEW_STATE: ViewState = {
  layout: 'auto',
  filters: NO_FILTERS,
  transform: null,
  selection: null,
  positions: {},
  legendOpen: false,
};

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function finite(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

export function parseViewState(saved: unknown): ViewState {
  if (!isRecord(saved)) {
    return { ...DEFAULT_VIEW_STATE, positions: {} };
  }
  const filters = isRecord(saved.filters) ? saved.filters : {};
  const transform = isRecord(saved.transform) ? saved.transform : undefined;
  const positions: Record<string, [number, number]> = {};
  if (isRecord(saved.positions)) {
    for (const [id, value] of Object.entries(saved.positions).slice(0, MAX_SAVED_POSITIONS)) {
      if (Array.isArray(value) && value.length === 2 && finite(value[0]) && finite(value[1])) {
        positions[id] = [value[0], value[1]];
      }
    }
  }
  return {
    layout: saved.layout === 'layered' || saved.layout === 'force' ? saved.layout : 'auto',
    filters: {
      text: typeof filters.text === 'string' ? filters.text.slice(0, 200) : '',
      socketType: SOCKET_TYPES.includes(filters.socketType as SocketType) ? (filters.socketType as SocketType) : '',
      state: EDGE_STATES.includes(filters.state as EdgeState) ? (filters.state as EdgeState) : '',
      hideDisconnected: filters.hideDisconnected === true,
    },
    transform: transform && finite(transform.x) && finite(transform.y) && finite(transform.k) && transform.k > 0
      ? { x: transform.x, y: transform.y, k: transform.k }
      : null,
    selection: typeof saved.selection === 'string' ? saved.selection : null,
    positions,
    legendOpen: saved.legendOpen === true,
  };
}

/** The layout drawn: the user's choice, else layered when the topology has a ROUTER (the broker view reads left to right), else force. */
export function layoutOf(view: Pick<ViewState, 'layout'>, model: GraphModel): LayoutMode {
  if (view.layout !== 'auto') {
    return view.layout;
  }
  for (const { item } of model.sockets.values()) {
    if (item.type === 'ROUTER') {
      return 'layered';
    }
  }
  return 'force';
}
