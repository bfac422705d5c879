/**
 * Grouping of alike peers: above a threshold, the connecting processes of one name and socket type
 * that connect to the same bound socket are drawn as one box ("worker ×40") with one aggregate edge
 * (the worst state among them, their rates summed); a click on the box expands it. A pure transform
 * of what is drawn (graphModel.ts visibleGraph), before the layout; tested in Node.
 */
import type { EdgeState, EdgeView, SocketView } from '../src/shared/snapshot';
import type { GroupView, VisibleGraph } from './graphModel';

/** The prefix of a group's id (the rest says which bound socket, name and type it collects). */
export const ALIKE_PREFIX = 'alike:';

/** Until the host says otherwise (zmqTopology.graph.groupThreshold has the same default). */
export const DEFAULT_GROUP_THRESHOLD = 20;

/** Worst last: a silent (dead) connection is worse news than one that said goodbye. */
const SEVERITY: readonly EdgeState[] = ['connected', 'connecting', 'quiet', 'late', 'retrying', 'disconnected', 'dead'];

export function isAlikeGroup(id: string): boolean {
  return id.startsWith(ALIKE_PREFIX);
}

/** The worst of some edges' states. */
export function worstState(states: Iterable<EdgeState>): EdgeState {
  let worst = 0;
  for (const state of states) {
    worst = Math.max(worst, SEVERITY.indexOf(state));
  }
  return SEVERITY[worst];
}

/**
 * Collapses alike peers into groups. A peer is a process with exactly one drawn socket that has
 * exactly one drawn edge, the connection to the bound socket (a process with more to show is left
 * alone: collapsing it would hide its other connections). Peers of one name and socket type on one
 * bound socket form a group when there are more than `threshold` of them (0: never) and the user has
 * not expanded it (`expanded` holds group ids). `visible` itself is not changed.
 */
export function groupAlike(visible: VisibleGraph, threshold: number, expanded: ReadonlySet<string>): VisibleGraph {
  if (threshold <= 0) {
    return visible;
  }
  const groupsById = new Map(visible.groups.map((g) => [g.id, g]));
  const socketsById = new Map(visible.sockets.map((s) => [s.id, s]));
  const edgesOf = new Map<string, number>();
  for (const edge of visible.edges) {
    edgesOf.set(edge.from, (edgesOf.get(edge.from) ?? 0) + 1);
    edgesOf.set(edge.to, (edgesOf.get(edge.to) ?? 0) + 1);
  }
  const candidates = new Map<string, { name: string; socket: SocketView; edges: EdgeView[] }>();
  for (const edge of visible.edges) {
    const socket = socketsById.get(edge.from);
    const node = socket ? groupsById.get(socket.nodeId) : undefined;
    if (!socket || !node?.node || node.node.unknown === true || node.socketIds.length !== 1 || edgesOf.get(socket.id) !== 1) {
      continue;
    }
    const key = `${edge.to}|${node.node.name}|${socket.type}`;
    const candidate = candidates.get(key) ?? { name: node.node.name, socket, edges: [] };
    candidate.edges.push(edge);
    candidates.set(key, candidate);
  }

  const hidden = new Set<string>();
  const groups: GroupView[] = [];
  const sockets: SocketView[] = [];
  const edges: EdgeView[] = [];
  const matched = new Set(visible.matched);
  for (const [key, { name, socket, edges: members }] of candidates) {
    const id = `${ALIKE_PREFIX}${key}`;
    if (members.length <= threshold || expanded.has(id)) {
      continue;
    }
    const socketId = `${id}/0`;
    const memberSockets = members.map((e) => socketsById.get(e.from) as SocketView);
    for (const member of memberSockets) {
      hidden.add(member.id);
      hidden.add(member.nodeId);
      if (matched.delete(member.id)) {
        matched.add(socketId);
      }
    }
    const worst = worstState(members.map((e) => e.state));
    const sample = members.find((e) => e.state === worst) as EdgeView;
    const title = `${name} ×${members.length}`;
    groups.push({ id, node: undefined, socketIds: [socketId], alike: { title, members: memberSockets.map((s) => s.nodeId) } });
    sockets.push({
      id: socketId, nodeId: id, type: socket.type, name: `×${members.length}`, options: socket.options, binds: [], connects: [...new Set(memberSockets.flatMap((s) => s.connects))],
      closed: memberSockets.every((s) => s.closed),
    });
    edges.push({
      ...sample,
      id: `${id}->`, from: socketId, routingId: undefined, attribution: undefined,
      rates: { out: members.reduce((sum, e) => sum + e.rates.out, 0), in: members.reduce((sum, e) => sum + e.rates.in, 0) },
      messageTypes: {}, retryStorm: members.some((e) => e.retryStorm), timeline: [], exited: members.every((e) => e.exited === true),
    });
    for (const member of members) {
      hidden.add(member.id);
    }
  }
  if (hidden.size === 0) {
    return visible;
  }
  return {
    groups: [...visible.groups.filter((g) => !hidden.has(g.id)), ...groups],
    sockets: [...visible.sockets.filter((s) => !hidden.has(s.id)), ...sockets],
    edges: [...visible.edges.filter((e) => !hidden.has(e.id)), ...edges],
    matched,
  };
}
