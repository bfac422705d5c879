/**
 * The layered view's layout, by ELK (elkjs, the Eclipse Layout Kernel; its licence notice ships in
 * THIRD_PARTY_NOTICES.md): processes are nodes, left to right by ELK's layered algorithm; each socket
 * is a port at its box's height on its process's border, east where it connects, west where it is
 * bound, so an edge runs from the exact connecting socket to the exact bound socket. ELK routes the
 * edges orthogonally around the process boxes and reserves room for each edge's label between the
 * layers. Pure (no DOM, no worker): it builds ELK's JSON graph and reads ELK's answer; elkRunner.ts
 * runs ELK in a web worker, and the unit tests run the same graphs through ELK in Node.
 */
import type { ElkExtendedEdge, ElkNode, ElkPort, LayoutOptions } from 'elkjs/lib/elk-api';
import type { EdgeView } from '../src/shared/snapshot';
import { disconnectBadge, nodeLabel } from '../src/shared/format';
import type { VisibleGraph } from './graphModel';
import type { SocketSlot } from './graphState';
import { groupHeight, GROUP_PADDING, SOCKET_HEIGHT, SOCKET_WIDTH, type Box, type Point } from './layout';

const GROUP_WIDTH = SOCKET_WIDTH + 2 * GROUP_PADDING;

/**
 * Above this many visible edges the layered view uses the built-in layering (layout.ts) instead:
 * ELK's time grows with the edges and the layers they span (measured in Node on the benchmark's
 * graphs of 3 edges per socket: 300 edges ~3 s, 1,500 edges ~35 s, 3,000 edges overflowed the
 * stack), while a broker with hundreds of peers (2 layers) takes well under a second.
 */
export const ELK_MAX_EDGES = 1000;

/** Reserved label size: per character of the 11 px label font (wide enough for digits and ♥ ⊘ glyphs). */
const AGE_CHAR_PX = 7;
const BADGE_CHAR_PX = 8;
export const LABEL_LINE_HEIGHT = 16;
export const BADGE_HEIGHT = 18;
/** Gap between the age line and the badge below it (svgRenderer draws them so). */
export const BADGE_GAP = 4;

const LAYOUT_OPTIONS: LayoutOptions = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.spacing.nodeNode': '28',
  'elk.spacing.edgeEdge': '10',
  'elk.spacing.edgeNode': '14',
  'elk.spacing.edgeLabel': '4',
  'elk.spacing.labelLabel': '6',
  'elk.layered.spacing.nodeNodeBetweenLayers': '48',
  'elk.layered.spacing.edgeNodeBetweenLayers': '16',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '10',
  // Fewer crossing-minimisation rounds: a live view re-lays out on every structure change.
  'elk.layered.thoroughness': '3',
  'elk.padding': '[top=20,left=20,bottom=20,right=20]',
};

/**
 * The room an edge's label takes: the age line in its longest form, and below it room for a
 * disconnect badge, on every edge: a connection that goes down then shows its message without the
 * picture moving (only a message wider than the room asks for a new layout).
 */
export function labelSize(edge: Pick<EdgeView, 'heartbeatAgeMs' | 'lastDisconnect'>): { width: number; height: number } {
  // "◔ ♥ 59m59s · 9999/s" or "◔ traffic 59m59s · 9999/s": glyph, kind, age, rate.
  const chars = 2 + (edge.heartbeatAgeMs !== null ? 2 : 8) + 7 + 10;
  const badge = disconnectBadge(edge);
  const badgeWidth = badge === null ? 0 : Array.from(`⊘ ${badge}`).length * BADGE_CHAR_PX + 12;
  return { width: Math.ceil(Math.max(chars * AGE_CHAR_PX, badgeWidth)), height: LABEL_LINE_HEIGHT + BADGE_GAP + BADGE_HEIGHT };
}

const portId = (side: 'in' | 'out', socketId: string): string => `${side}\u0000${socketId}`;
const groupNodeId = (groupId: string): string => `g\u0000${groupId}`;
const edgeElkId = (edgeId: string): string => `e\u0000${edgeId}`;

/** ELK's input for the visible graph; `slots` say where each socket sits in its process box. */
export function buildElkGraph(visible: VisibleGraph, slots: ReadonlyMap<string, SocketSlot>): ElkNode {
  const sources = new Set<string>();
  const targets = new Set<string>();
  const edges: ElkExtendedEdge[] = [];
  for (const edge of visible.edges) {
    if (!slots.has(edge.from) || !slots.has(edge.to)) {
      continue;
    }
    sources.add(edge.from);
    targets.add(edge.to);
    // ELK ignores a label without text (its size is ours: the text is never measured).
    edges.push({ id: edgeElkId(edge.id), sources: [portId('out', edge.from)], targets: [portId('in', edge.to)], labels: [{ id: `l\u0000${edge.id}`, text: 'label', ...labelSize(edge) }] });
  }
  // Sorted by name, so the layout does not depend on the order processes arrived in.
  const groups = [...visible.groups]
    .map((group) => ({ group, key: group.node ? nodeLabel(group.node) : group.id }))
    .sort((a, b) => compare(a.key, b.key) || compare(a.group.id, b.group.id));
  const children: ElkNode[] = groups.map(({ group }) => {
    const ports: ElkPort[] = [];
    for (const socketId of group.socketIds) {
      const slot = slots.get(socketId);
      if (!slot) {
        continue;
      }
      const y = slot.top + SOCKET_HEIGHT / 2;
      if (targets.has(socketId)) {
        ports.push({ id: portId('in', socketId), x: 0, y, width: 0, height: 0, layoutOptions: { 'elk.port.side': 'WEST' } });
      }
      if (sources.has(socketId)) {
        ports.push({ id: portId('out', socketId), x: GROUP_WIDTH, y, width: 0, height: 0, layoutOptions: { 'elk.port.side': 'EAST' } });
      }
    }
    return { id: groupNodeId(group.id), width: GROUP_WIDTH, height: groupHeight(group.socketIds.length), ports, layoutOptions: { 'elk.portConstraints': 'FIXED_POS' } };
  });
  return { id: 'root', layoutOptions: LAYOUT_OPTIONS, children, edges };
}

/** An edge as the layered layout routed it. */
export interface RoutedEdge {
  /** From the connecting socket's box border to the bound socket's box border, orthogonal. */
  points: Point[];
  /** The room reserved for its label. */
  label: Box | null;
}

export interface LayeredResult {
  /** Process box centers. */
  centers: Map<string, Point>;
  routes: Map<string, RoutedEdge>;
}

/**
 * Reads ELK's answer. ELK's routes start and end on the process boxes' borders (where the ports
 * are); each is extended across the box's padding to the socket box's border, so the line starts
 * on the connecting socket and its arrowhead touches the bound socket.
 */
export function readElkLayout(laidOut: ElkNode): LayeredResult {
  const centers = new Map<string, Point>();
  const offsetX = laidOut.x ?? 0;
  const offsetY = laidOut.y ?? 0;
  for (const child of laidOut.children ?? []) {
    const id = child.id.slice(2);
    centers.set(id, { x: offsetX + (child.x ?? 0) + (child.width ?? 0) / 2, y: offsetY + (child.y ?? 0) + (child.height ?? 0) / 2 });
  }
  const routes = new Map<string, RoutedEdge>();
  for (const edge of (laidOut.edges ?? []) as ElkExtendedEdge[]) {
    const section = edge.sections?.[0];
    if (!section) {
      continue;
    }
    const shift = (p: { x: number; y: number }): Point => ({ x: offsetX + p.x, y: offsetY + p.y });
    const start = shift(section.startPoint);
    const end = shift(section.endPoint);
    const points = [
      { x: start.x - GROUP_PADDING, y: start.y },
      start,
      ...(section.bendPoints ?? []).map(shift),
      end,
      { x: end.x + GROUP_PADDING, y: end.y },
    ];
    const label = edge.labels?.[0];
    routes.set(edge.id.slice(2), {
      points: dropRepeats(points),
      label: label ? { x: offsetX + (label.x ?? 0), y: offsetY + (label.y ?? 0), width: label.width ?? 0, height: label.height ?? 0 } : null,
    });
  }
  return { centers, routes };
}

/** Consecutive equal points (a port right on a bend) would give the arrowhead no direction. */
function dropRepeats(points: Point[]): Point[] {
  return points.filter((p, i) => i === 0 || Math.abs(p.x - points[i - 1].x) > 0.01 || Math.abs(p.y - points[i - 1].y) > 0.01);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
