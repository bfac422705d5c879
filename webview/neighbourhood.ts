/**
 * The neighbourhood of a drawn item, for the hover/focus highlight (highlight.ts): what lights up
 * while the rest dims. Pure (tested in Node).
 */
import type { VisibleGraph } from './graphModel';

export interface Neighbourhood {
  groups: Set<string>;
  sockets: Set<string>;
  edges: Set<string>;
}

/**
 * A process's neighbourhood: its sockets, every drawn edge on them, and the sockets and processes at
 * those edges' other ends. A socket's is the same from that one socket (its process stays lit, as
 * its frame). Null for an id that is not drawn.
 */
export function neighbourhood(visible: VisibleGraph, id: string): Neighbourhood | null {
  const group = visible.groups.find((g) => g.id === id);
  const socket = group ? undefined : visible.sockets.find((s) => s.id === id);
  if (!group && !socket) {
    return null;
  }
  const own = new Set(group ? group.socketIds : [id]);
  const hood: Neighbourhood = { groups: new Set([group ? group.id : (socket?.nodeId ?? id)]), sockets: new Set(own), edges: new Set() };
  for (const edge of visible.edges) {
    const from = own.has(edge.from);
    if (from || own.has(edge.to)) {
      hood.edges.add(edge.id);
      hood.sockets.add(from ? edge.to : edge.from);
    }
  }
  const nodeOf = new Map(visible.sockets.map((s) => [s.id, s.nodeId]));
  for (const socketId of hood.sockets) {
    const nodeId = nodeOf.get(socketId);
    if (nodeId !== undefined) {
      hood.groups.add(nodeId);
    }
  }
  return hood;
}
