/**
 * Layered layout, left to right by role: a process whose sockets connect sits left of the process
 * whose sockets they connect to (connectors left, binders right). Processes are layered as wholes so
 * their boxes never interleave. Pure, deterministic for a given input; also seeds the force layout.
 */

export const SOCKET_WIDTH = 160;
export const SOCKET_HEIGHT = 38;
export const SOCKET_GAP = 12;
export const GROUP_PADDING = 12;
export const GROUP_HEADER = 22;
const COLUMN_WIDTH = SOCKET_WIDTH + 2 * GROUP_PADDING + 200;
const GROUP_GAP = 28;

export interface Point {
  x: number;
  y: number;
}

export interface LayoutGroup {
  id: string;
  socketIds: readonly string[];
  /** Used to order processes with no connections, so the layout does not depend on arrival order. */
  sortKey: string;
}

export interface LayoutEdge {
  from: string;
  to: string;
}

export interface LayeredLayout {
  /** Socket centers. */
  sockets: Map<string, Point>;
  /** Top-left anchor of each process group (its sockets stack below the header). */
  groups: Map<string, Point>;
  /** Layer index per group: 0 is leftmost. */
  layers: Map<string, number>;
}

/** Height of a process box holding `count` sockets. */
export function groupHeight(count: number): number {
  return GROUP_HEADER + GROUP_PADDING + Math.max(1, count) * (SOCKET_HEIGHT + SOCKET_GAP) - SOCKET_GAP + GROUP_PADDING;
}

export function layeredLayout(groups: readonly LayoutGroup[], edges: readonly LayoutEdge[]): LayeredLayout {
  const groupOfSocket = new Map<string, string>();
  for (const group of groups) {
    for (const socketId of group.socketIds) {
      groupOfSocket.set(socketId, group.id);
    }
  }
  const predecessors = new Map<string, Set<string>>();
  const successors = new Map<string, Set<string>>();
  for (const group of groups) {
    predecessors.set(group.id, new Set());
    successors.set(group.id, new Set());
  }
  for (const edge of edges) {
    const from = groupOfSocket.get(edge.from);
    const to = groupOfSocket.get(edge.to);
    if (from === undefined || to === undefined || from === to) {
      continue;
    }
    successors.get(from)?.add(to);
    predecessors.get(to)?.add(from);
  }

  // Longest path from the pure connectors; a cycle (two processes binding for each other) is cut
  // where the walk finds it, so every process still gets a layer.
  const layers = new Map<string, number>();
  const onPath = new Set<string>();
  const layerOf = (id: string): number => {
    const known = layers.get(id);
    if (known !== undefined) {
      return known;
    }
    onPath.add(id);
    let layer = 0;
    for (const pred of predecessors.get(id) ?? []) {
      if (!onPath.has(pred)) {
        layer = Math.max(layer, layerOf(pred) + 1);
      }
    }
    onPath.delete(id);
    layers.set(id, layer);
    return layer;
  };
  const sorted = [...groups].sort((a, b) => compare(a.sortKey, b.sortKey) || compare(a.id, b.id));
  for (const group of sorted) {
    layerOf(group.id);
  }

  const columns: string[][] = [];
  for (const group of sorted) {
    const layer = layers.get(group.id) ?? 0;
    (columns[layer] ??= []).push(group.id);
  }
  for (let i = 0; i < columns.length; i++) {
    columns[i] ??= [];
  }

  // Two barycenter sweeps reduce crossings: order each column by the mean row of its neighbours.
  const rowOf = new Map<string, number>();
  const recordRows = (): void => columns.forEach((column) => column.forEach((id, row) => rowOf.set(id, row)));
  recordRows();
  const reorder = (column: string[], neighbours: Map<string, Set<string>>): void => {
    const weight = new Map<string, number>();
    column.forEach((id, row) => {
      const rows = [...(neighbours.get(id) ?? [])].map((n) => rowOf.get(n)).filter((r): r is number => r !== undefined);
      weight.set(id, rows.length ? rows.reduce((sum, r) => sum + r, 0) / rows.length : row);
    });
    column.sort((a, b) => (weight.get(a) ?? 0) - (weight.get(b) ?? 0) || (rowOf.get(a) ?? 0) - (rowOf.get(b) ?? 0));
    column.forEach((id, row) => rowOf.set(id, row));
  };
  for (let sweep = 0; sweep < 2; sweep++) {
    for (let i = 1; i < columns.length; i++) {
      reorder(columns[i], predecessors);
    }
    for (let i = columns.length - 2; i >= 0; i--) {
      reorder(columns[i], successors);
    }
  }

  const byId = new Map(groups.map((g) => [g.id, g]));
  const socketPositions = new Map<string, Point>();
  const groupPositions = new Map<string, Point>();
  columns.forEach((column, layer) => {
    const heights = column.map((id) => groupHeight(byId.get(id)?.socketIds.length ?? 0));
    const total = heights.reduce((sum, h) => sum + h, 0) + GROUP_GAP * Math.max(0, column.length - 1);
    let top = -total / 2;
    column.forEach((id, row) => {
      const x = layer * COLUMN_WIDTH;
      groupPositions.set(id, { x, y: top });
      const socketIds = [...(byId.get(id)?.socketIds ?? [])].sort(compare);
      socketIds.forEach((socketId, index) => {
        socketPositions.set(socketId, {
          x: x + GROUP_PADDING + SOCKET_WIDTH / 2,
          y: top + GROUP_HEADER + GROUP_PADDING + index * (SOCKET_HEIGHT + SOCKET_GAP) + SOCKET_HEIGHT / 2,
        });
      });
      top += heights[row] + GROUP_GAP;
    });
  });
  return { sockets: socketPositions, groups: groupPositions, layers };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A process box around its sockets' centers (header on top), or a default box at `anchor` when empty. */
export function groupBox(socketCenters: readonly Point[], anchor: Point): Box {
  if (socketCenters.length === 0) {
    return { x: anchor.x, y: anchor.y, width: SOCKET_WIDTH + 2 * GROUP_PADDING, height: groupHeight(0) };
  }
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of socketCenters) {
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x);
    maxY = Math.max(maxY, p.y);
  }
  const x = minX - SOCKET_WIDTH / 2 - GROUP_PADDING;
  const y = minY - SOCKET_HEIGHT / 2 - GROUP_PADDING - GROUP_HEADER;
  return {
    x,
    y,
    width: maxX - minX + SOCKET_WIDTH + 2 * GROUP_PADDING,
    height: maxY - minY + SOCKET_HEIGHT + 2 * GROUP_PADDING + GROUP_HEADER,
  };
}

/**
 * Where a segment from `from` to `to` leaves the socket box centered at `to` (so an arrowhead ends
 * on the box border, not hidden under it). Boxes are SOCKET_WIDTH × SOCKET_HEIGHT, plus `margin`.
 */
export function clipToBox(from: Point, to: Point, margin = 3): Point {
  const dx = from.x - to.x;
  const dy = from.y - to.y;
  if (dx === 0 && dy === 0) {
    return to;
  }
  const halfW = SOCKET_WIDTH / 2 + margin;
  const halfH = SOCKET_HEIGHT / 2 + margin;
  const scale = Math.min(dx === 0 ? Infinity : halfW / Math.abs(dx), dy === 0 ? Infinity : halfH / Math.abs(dy));
  return scale >= 1 ? to : { x: to.x + dx * scale, y: to.y + dy * scale };
}
