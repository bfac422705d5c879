/**
 * An exact copy of a store's state (TopologyStore.clone): the records and indexes, with the references
 * between them remapped onto the copies (a socket's fromEdges and boundEdges hold the copy's edges,
 * byRoutingId the copy's sockets). What the store only ever replaces and never changes in place is
 * shared rather than copied: timelines, lastDisconnect, routing ids, first-message logs and their
 * stamps, a node's runtime and agent, a socket's options, site, failed endpoint calls and connectEdges
 * (resolution replaces them whole), its conns and pairings, the routing-id clashes, the collector status. No timers and
 * no listeners are copied: the copy is a store that was never started.
 */
import { claimantsOf, fromEdgeList, hasFromEdges, soleClaimant, type FromEdges, type Claimants, type EdgeRec, type EndpointRec, type NodeRec, type PeerRec, type SocketRec } from './records';
import type { StoreState } from './state';

export function copyState(from: StoreState, into: StoreState): void {
  for (const [key, agent] of from.agents) into.agents.set(key, { ...agent });
  for (const [id, node] of from.nodes) into.nodes.set(id, { ...node } satisfies NodeRec);
  const edges = new Map<EdgeRec, EdgeRec>();
  for (const [id, edge] of from.edges) {
    const copy = edge.copy();
    edges.set(edge, copy);
    into.edges.set(id, copy);
  }
  into.rates = from.rates.copy(); // the copies keep their slots
  const sockets = new Map<SocketRec, SocketRec>();
  for (const [id, socket] of from.sockets) {
    const copy = copySocket(socket, edges);
    sockets.set(socket, copy);
    into.sockets.set(id, copy);
  }
  for (const [id, ids] of from.socketsByNode) into.socketsByNode.set(id, new Set(ids));
  const byRoutingId = new Map<string, Claimants>();
  for (const [hex, claimants] of from.byRoutingId) {
    const sole = soleClaimant(claimants);
    byRoutingId.set(hex, sole ? (sockets.get(sole) ?? sole) : claimantsOf(claimants).map((s) => sockets.get(s) ?? s));
  }
  into.byRoutingId = byRoutingId;
  into.sharedRoutingIds = from.sharedRoutingIds;
  for (const [key, owner] of from.connOwner) into.connOwner.set(key, owner);
  into.clashes = new Map(from.clashes); // judged afresh into a new map, never changed in place
  for (const [id, peers] of from.kernelPeers) into.kernelPeers.set(id, peers); // replaced whole, never changed in place
  for (const [id, rec] of from.accepted) {
    into.accepted.set(id, { open: new Map(rec.open), drawn: new Map([...rec.drawn].map(([endpoint, d]) => [endpoint, { ...d }])) });
  }
  for (const id of from.unseenDirty) into.unseenDirty.add(id);
  for (const [id, dueAt] of from.unseenPending) into.unseenPending.set(id, dueAt);
  into.unknownPeers = from.unknownPeers;
  for (const id of from.gonePlaceholders) into.gonePlaceholders.add(id);
  into.topologyDirty = from.topologyDirty;
  for (const id of from.connectorsToResolve) into.connectorsToResolve.add(id);
  for (const id of from.routersToPair) into.routersToPair.add(id);
  into.edgeRemovals = from.edgeRemovals;
  into.collector = from.collector;
  Object.assign(into.discarded, from.discarded);
  for (const [a, b] of [[from.dirtyNodes, into.dirtyNodes], [from.dirtySockets, into.dirtySockets], [from.dirtyEdges, into.dirtyEdges], [from.trafficEdges, into.trafficEdges],
    [from.removedNodes, into.removedNodes], [from.removedSockets, into.removedSockets], [from.removedEdges, into.removedEdges]] as const) {
    for (const id of a) b.add(id);
  }
  into.collectorDirty = from.collectorDirty;
  into.lastNotifyAt = from.lastNotifyAt;
  into.urgentChange = from.urgentChange;
}

// fillWildcardBind and connectionUp change records in place; frozen lists (NO_ENDPOINTS, shared connects) never change.
const endpoints = (list: readonly EndpointRec[]): readonly EndpointRec[] => (Object.isFrozen(list) ? list : list.map((e) => ({ ...e })));

function copyFromEdges(socket: SocketRec, edges: Map<EdgeRec, EdgeRec>): FromEdges {
  const copies = fromEdgeList(socket).map((e) => edges.get(e) ?? e);
  return copies.length === 1 ? copies[0] : copies;
}

function copySocket(socket: SocketRec, edges: Map<EdgeRec, EdgeRec>): SocketRec {
  const copy: SocketRec = {
    ...socket,
    binds: endpoints(socket.binds),
    connects: endpoints(socket.connects),
    connectEdges: socket.connectEdges, // replaced whole by resolution, never changed in place
    fromEdges: hasFromEdges(socket) ? copyFromEdges(socket, edges) : socket.fromEdges,
  };
  if (socket.peers) copy.peers = new Map([...socket.peers].map(([hex, peer]) => [hex, { ...peer } satisfies PeerRec]));
  if (socket.boundEdges) {
    copy.boundEdges = new Map([...socket.boundEdges].map(([endpoint, set]) => [endpoint, new Set([...set].map((e) => edges.get(e) ?? e))]));
  }
  return copy;
}
