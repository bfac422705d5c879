/**
 * The geometry of the graph: where each socket sits in its process group, the curves between
 * sockets, the transform that fits every group, the positions worth saving. Pure (no DOM, no d3):
 * tested in Node; simulation.ts moves the bodies these read.
 */
import type { SimulationLinkDatum, SimulationNodeDatum } from 'd3-force';
import type { EdgeView } from '../src/shared/snapshot';
import { nodeLabel } from '../src/shared/format';
import { curveMid, type Curve } from './canvasRenderer';
import type { GraphModel, GroupView, VisibleGraph } from './graphModel';
import type { SocketSlot } from './graphState';
import { LABEL_LINE_HEIGHT, type RoutedEdge } from './elkLayout';
import { clipToBox, groupHeight, layeredLayout, GROUP_HEADER, GROUP_PADDING, SOCKET_GAP, SOCKET_HEIGHT, SOCKET_WIDTH, type Point } from './layout';
import { MAX_SAVED_POSITIONS, type ZoomState } from './viewState';

export const GROUP_WIDTH = SOCKET_WIDTH + 2 * GROUP_PADDING;
/** From this many visible sockets on, a graph is "large": text hidden while moving, fewer layout draws. */
export const LARGE_GRAPH_SOCKETS = 150;

export interface GroupBody extends SimulationNodeDatum {
  id: string;
  x: number;
  y: number;
  height: number;
}

export type GroupLink = SimulationLinkDatum<GroupBody>;
export type Bodies = ReadonlyMap<string, GroupBody>;

export function sortedSocketIds(group: GroupView): string[] {
  return [...group.socketIds].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Fills `slots` with where each visible socket sits in its group. */
export function fillSlots(slots: Map<string, SocketSlot>, groups: readonly GroupView[]): void {
  slots.clear();
  for (const group of groups) {
    const height = groupHeight(group.socketIds.length);
    sortedSocketIds(group).forEach((socketId, index) => {
      const top = GROUP_HEADER + GROUP_PADDING + index * (SOCKET_HEIGHT + SOCKET_GAP);
      slots.set(socketId, { groupId: group.id, top, dy: top + SOCKET_HEIGHT / 2 - height / 2 });
    });
  }
}

export function socketCenter(slots: ReadonlyMap<string, SocketSlot>, bodies: Bodies, socketId: string): Point | undefined {
  const slot = slots.get(socketId);
  const body = slot ? bodies.get(slot.groupId) : undefined;
  return slot && body ? { x: body.x, y: body.y + slot.dy } : undefined;
}

/** A layered-view route, with the two process centers it was made for. */
export interface EdgeRoute extends RoutedEdge {
  fromGroup: string;
  fromAt: Point;
  toGroup: string;
  toAt: Point;
}

export type Routes = ReadonlyMap<string, EdgeRoute>;

/** A route holds while both its processes are where it was made for (a drag moves one: the edge falls back to a curve). */
function routeHolds(route: EdgeRoute, bodies: Bodies): boolean {
  const from = bodies.get(route.fromGroup);
  const to = bodies.get(route.toGroup);
  return from !== undefined && to !== undefined && samePoint(from, route.fromAt) && samePoint(to, route.toAt);
}

function samePoint(a: Point, b: Point): boolean {
  return Math.abs(a.x - b.x) < 0.01 && Math.abs(a.y - b.y) < 0.01;
}

/**
 * An edge's line: its layered route when it has one that still holds, else a gentle curve between
 * the two socket boxes' borders (the force layout).
 */
export function edgeCurve(slots: ReadonlyMap<string, SocketSlot>, bodies: Bodies, edge: EdgeView, routes?: Routes): Curve | undefined {
  const from = socketCenter(slots, bodies, edge.from);
  const to = socketCenter(slots, bodies, edge.to);
  if (!from || !to) {
    return undefined;
  }
  const route = routes?.get(edge.id);
  if (route && route.points.length >= 2 && routeHolds(route, bodies)) {
    const points = route.points;
    return { start: points[0], control: points[points.length - 2], end: points[points.length - 1], via: points.slice(1, -1) };
  }
  // A gentle bend keeps the two directions of a pair, and edges within one process, apart.
  const sameGroup = slots.get(edge.from)?.groupId === slots.get(edge.to)?.groupId;
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length = Math.hypot(dx, dy) || 1;
  const bend = sameGroup ? SOCKET_WIDTH * 0.9 : Math.min(40, length * 0.12);
  const control = { x: (from.x + to.x) / 2 - (dy / length) * bend, y: (from.y + to.y) / 2 + (dx / length) * bend };
  if (sameGroup) {
    control.x = from.x + SOCKET_WIDTH / 2 + bend;
  }
  // On the boxes' borders: the line leaves its socket and its arrowhead touches the bound one.
  return { start: clipToBox(control, from, 0), control, end: clipToBox(control, to, 0) };
}

export function curvePath({ start, control, end, via }: Curve): string {
  if (via) {
    return `M${start.x.toFixed(1)},${start.y.toFixed(1)}${via.map((p) => ` L${p.x.toFixed(1)},${p.y.toFixed(1)}`).join('')} L${end.x.toFixed(1)},${end.y.toFixed(1)}`;
  }
  return `M${start.x.toFixed(1)},${start.y.toFixed(1)} Q${control.x.toFixed(1)},${control.y.toFixed(1)} ${end.x.toFixed(1)},${end.y.toFixed(1)}`;
}

/**
 * Where an edge's label is anchored: the age line sits above it (baseline 4 px up), the disconnect
 * badge BADGE_GAP below (both renderers draw them so, and elkLayout.ts reserves that room): in the room the layered layout
 * reserved for it while its route holds, else the curve's midpoint.
 */
export function labelAnchor(curve: Curve, route: EdgeRoute | undefined): Point {
  if (curve.via && route?.label) {
    return { x: route.label.x + route.label.width / 2, y: route.label.y + LABEL_LINE_HEIGHT };
  }
  return curveMid(curve);
}

/** The transform that shows every group (and `extra` points: routes, labels) in a `width` × `height` view (at most 2× zoom), or null without groups. */
export function fitTransform(bodies: Bodies, width: number, height: number, extra: Iterable<Point> = []): ZoomState | null {
  if (bodies.size === 0) {
    return null;
  }
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const body of bodies.values()) {
    minX = Math.min(minX, body.x - GROUP_WIDTH / 2);
    maxX = Math.max(maxX, body.x + GROUP_WIDTH / 2);
    minY = Math.min(minY, body.y - body.height / 2);
    maxY = Math.max(maxY, body.y + body.height / 2);
  }
  for (const p of extra) {
    minX = Math.min(minX, p.x);
    maxX = Math.max(maxX, p.x);
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  const margin = 40;
  const k = Math.min(2, (width - 2 * margin) / Math.max(1, maxX - minX), (height - 2 * margin) / Math.max(1, maxY - minY));
  // As zoomIdentity.translate(width / 2, height / 2).scale(k).translate(-cx, -cy), to the last bit.
  return { x: width / 2 + k * (-(minX + maxX) / 2), y: height / 2 + k * (-(minY + maxY) / 2), k };
}

/** The points the layered routes and their labels reach, so a fit shows them whole. */
export function* routeExtent(routes: Routes): Iterable<Point> {
  for (const route of routes.values()) {
    yield* route.points;
    if (route.label) {
      yield { x: route.label.x, y: route.label.y };
      yield { x: route.label.x + route.label.width, y: route.label.y + route.label.height };
    }
  }
}

/** Drawn groups' positions, keeping those of groups a filter hides (not of groups gone from the model). */
export function savedPositions(bodies: Bodies, model: GraphModel, previous: Readonly<Record<string, [number, number]>>): Record<string, [number, number]> {
  const positions: Record<string, [number, number]> = {};
  let count = 0;
  for (const [id, body] of bodies) {
    if (count++ >= MAX_SAVED_POSITIONS) {
      break;
    }
    positions[id] = [Math.round(body.x), Math.round(body.y)];
  }
  const groupIds = new Set<string>(model.nodes.keys());
  for (const { item } of model.sockets.values()) {
    groupIds.add(item.nodeId);
  }
  for (const [id, position] of Object.entries(previous)) {
    if (count >= MAX_SAVED_POSITIONS) {
      break;
    }
    if (!(id in positions) && groupIds.has(id)) {
      positions[id] = position;
      count++;
    }
  }
  return positions;
}

/** Group-to-group links of the visible edges, keyed by "from\0to" (an edge within a group links nothing). */
export function groupLinks(edges: readonly EdgeView[], slots: ReadonlyMap<string, SocketSlot>): Map<string, GroupLink> {
  const links = new Map<string, GroupLink>();
  for (const edge of edges) {
    const from = slots.get(edge.from)?.groupId;
    const to = slots.get(edge.to)?.groupId;
    if (from !== undefined && to !== undefined && from !== to) {
      links.set(`${from}\u0000${to}`, { source: from, target: to });
    }
  }
  return links;
}

/** Group centers as the layered layout puts them. */
export function layeredCenters(visible: VisibleGraph): Map<string, Point> {
  const result = layeredLayout(
    visible.groups.map((g) => ({ id: g.id, socketIds: g.socketIds, sortKey: g.node ? nodeLabel(g.node) : g.id })),
    visible.edges,
  );
  const centers = new Map<string, Point>();
  for (const group of visible.groups) {
    const anchor = result.groups.get(group.id) ?? { x: 0, y: 0 };
    centers.set(group.id, { x: anchor.x + GROUP_WIDTH / 2, y: anchor.y + groupHeight(group.socketIds.length) / 2 });
  }
  return centers;
}
