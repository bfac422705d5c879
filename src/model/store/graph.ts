/**
 * Graph bookkeeping: edges made, merged and removed with the indexes that point at them (a socket's
 * fromEdges and boundEdges), phases and timelines, placeholder sockets for peers no agent reports.
 */
import type { Runtime } from '../../protocol/types';
import { RetryWindow, combineDisconnect, type EdgePhase } from '../rules';
import type { TimelineEntry } from '../../shared/snapshot';
import { typesRefused, type SocketType } from '../../shared/sockets';
import { NO_CONNECT_EDGES, NO_EDGES, NO_ENDPOINTS, ROUTER_LIKE, addToTimeline, appended, flat, fromEdgeList, fromEdgesWith, hasFromEdges, mergeTimelines, typeIndex, EdgeRec, type NodeRec, type SocketRec, type TypeCounts } from './records';
import { discard, type StoreState } from './state';

const OTHER_TYPES = '(other)';
const UNKNOWN_RUNTIME: Runtime = { name: 'unknown', version: '', binding: '', libzmq: '', disconnectMsg: false };

/** Whether either end of the edge is a closed socket: nothing brings such an edge back up. */
export function closedEnd(st: StoreState, edge: EdgeRec): boolean {
  return st.sockets.get(edge.from)?.closed === true || st.sockets.get(edge.to)?.closed === true;
}

/** The two ends' types when libzmq refuses their handshake (a PUSH connected to a PUB), else undefined. */
export function refusedTypes(st: StoreState, edge: EdgeRec): { from: SocketType; to: SocketType } | undefined {
  const from = st.sockets.get(edge.from)?.type;
  const to = st.sockets.get(edge.to)?.type;
  return from !== undefined && to !== undefined && typesRefused(from, to) ? { from, to } : undefined;
}

/** A socket's edges (a copy: safe to change the store while walking it): from it, then bound to it. */
export function edgesOf(socket: SocketRec | undefined, which: 'all' | 'bound' = 'all'): EdgeRec[] {
  if (!socket) return [];
  const edges = which === 'all' ? [...fromEdgeList(socket)] : [];
  for (const set of socket.boundEdges?.values() ?? []) edges.push(...set);
  return edges;
}

export function pick(st: StoreState, ids: readonly string[]): EdgeRec[] {
  const edges: EdgeRec[] = [];
  for (const id of ids) {
    const edge = st.edges.get(id);
    if (edge) edges.push(edge);
  }
  return edges;
}

export function disconnectEdge(st: StoreState, edgeId: string, reason: string, message: string | null, at: number): void {
  const edge = st.edges.get(edgeId);
  if (!edge) return;
  const sameLoss = edge.phase === 'disconnected';
  edge.lastDisconnect = combineDisconnect(edge.lastDisconnect, sameLoss, { at, message, reason });
  edge.touched = true;
  if (!sameLoss) setPhase(st, edge, 'disconnected', at);
  st.dirtyEdges.add(edgeId);
  placeholderGone(st, edge, at);
}

/**
 * A ROUTER never gives one of its own ids (a zero byte and a counter) twice: once the connection of a
 * peer known only by such an id ends (its disconnect message, a monitor event naming it, the ROUTER
 * gone), the placeholder drawn for it is gone for good, as an exited process is. Left live, every
 * short-lived client without an agent (a Lazy Pirate retry, a script run against a broker) stayed in
 * the picture for the session and, at the cap, kept newer ones out of it.
 */
function placeholderGone(st: StoreState, edge: EdgeRec, at: number): void {
  const socket = st.sockets.get(edge.from);
  if (!socket?.unknown || socket.closed || !isLibzmqId(socket.routingHex)) return;
  const node = st.nodes.get(socket.nodeId);
  if (!node) return;
  socket.closed = true;
  node.exitedAt = at;
  st.gonePlaceholders.add(node.id);
  st.dirtySockets.add(socket.id);
  st.dirtyNodes.add(node.id);
  st.topologyDirty = true;
}

/** libzmq's own routing ids for peers that set none: a zero byte and a 32-bit counter. */
export function isLibzmqId(hex: string | undefined): boolean {
  return hex !== undefined && hex.length === 10 && hex.startsWith('00');
}

export function setPhase(st: StoreState, edge: EdgeRec, phase: EdgePhase, at: number): void {
  if (phase !== edge.phase && (phase === 'disconnected' || phase === 'retrying')) st.urgentChange = true;
  if (phase !== edge.phase && st.accepted.has(edge.to)) st.unseenDirty.add(edge.to); // its count of connections explained changes
  edge.phase = phase;
  edge.phaseAt = at;
}

export function addTimeline(st: StoreState, edge: EdgeRec, entry: TimelineEntry): void {
  addToTimeline(edge, entry, st.options.timelineLength);
}

/** Adds counts to the edge's (shown side's) message types; past the cap, new names are summed under "(other)". */
export function addTypes(st: StoreState, edge: EdgeRec, types: Record<string, number> | TypeCounts, cumulative: boolean): void {
  const pairs = Array.isArray(types) ? types : undefined;
  const names = pairs ? undefined : Object.keys(types);
  const n = pairs ? pairs.length / 2 : names!.length;
  if (n === 0) return;
  let into = (edge.types ??= []);
  for (let k = 0; k < n; k++) {
    const name = pairs ? (pairs[2 * k] as string) : names![k];
    const count = pairs ? (pairs[2 * k + 1] as number) : (types as Record<string, number>)[name];
    let key = name;
    let at = typeIndex(into, name);
    if (at < 0 && into.length / 2 >= st.limits.messageTypesPerEdge) {
      key = OTHER_TYPES;
      at = typeIndex(into, OTHER_TYPES);
    }
    if (at < 0) {
      at = into.length;
      edge.types = into = appended(appended(into, key), 0); // a new name is rare: keep the list exact-size
    }
    const before = into[at + 1] as number;
    into[at + 1] = cumulative && key !== OTHER_TYPES ? Math.max(before, count) : before + count;
  }
}

/** An edge's id: `from->to@endpoint` (docs/SNAPSHOT.md). */
export function edgeId(fromId: string, toId: string, endpoint: string): string {
  return `${fromId}->${toId}@${endpoint}`;
}

export function ensureEdge(st: StoreState, from: SocketRec, to: SocketRec, endpoint: string): EdgeRec | undefined {
  const id = edgeId(from.id, to.id, endpoint);
  const existing = st.edges.get(id);
  if (existing) return existing;
  if (st.edges.size >= st.limits.edges) {
    discard(st, 'cap:edges');
    return undefined;
  }
  const byRoutingId = ROUTER_LIKE.has(to.type) && from.routingHex !== undefined;
  const edge = new EdgeRec(flat(id), from.id, to.id, endpoint, byRoutingId ? from.routingHex : undefined);
  if (byRoutingId) edge.attribution = 'routing-id';
  st.edges.set(edge.id, edge);
  to.boundEdges ??= new Map();
  let onEndpoint = to.boundEdges.get(endpoint);
  if (!onEndpoint) to.boundEdges.set(endpoint, (onEndpoint = new Set()));
  onEndpoint.add(edge);
  from.fromEdges = fromEdgesWith(from, edge);
  if (from.conns && ROUTER_LIKE.has(to.type)) st.routersToPair.add(to.id);
  st.dirtyEdges.add(edge.id);
  return edge;
}

/** Folds what was learnt on a provisional edge (to/from an unknown peer) into the real one. */
export function mergeEdge(st: StoreState, source: EdgeRec, target: EdgeRec): void {
  if (source === target) return;
  if (source.lastMessage !== undefined && (target.lastMessage === undefined || source.lastMessage > target.lastMessage)) target.lastMessage = source.lastMessage;
  if (source.lastHeartbeat !== undefined && (target.lastHeartbeat === undefined || source.lastHeartbeat > target.lastHeartbeat)) target.lastHeartbeat = source.lastHeartbeat;
  // Only the shown side's counts are kept (EdgeRec.fromReports): the connector's win over the binder's.
  if (source.fromReports && !target.fromReports) {
    target.fromReports = true;
    if (target.rates !== undefined) st.rates.release(target.rates);
    target.rates = source.rates;
    source.rates = undefined; // the target's now
    target.types = source.types?.slice();
  } else if (source.fromReports === target.fromReports) {
    if (source.rates !== undefined) st.rates.absorb(target.rates ??= st.rates.allocate(), source.rates);
    if (source.types) addTypes(st, target, source.types, false);
  }
  if (source.retries) (target.retries ??= new RetryWindow(st.options.retryStorm.count, st.options.retryStorm.windowMs)).absorb(source.retries);
  if (!target.touched || source.phaseAt > target.phaseAt) {
    target.phase = source.phase;
    target.phaseAt = source.phaseAt;
  }
  target.lastDisconnect ??= source.lastDisconnect;
  target.routingHex ??= source.routingHex;
  mergeTimelines(target, source, st.options.timelineLength);
  target.touched ||= source.touched;
  target.ownTraffic ||= source.ownTraffic;
  st.dirtyEdges.add(target.id);
  removeEdge(st, source.id);
}

export function removeEdge(st: StoreState, id: string): void {
  const edge = st.edges.get(id);
  if (!edge) return;
  st.edges.delete(id);
  st.kernelPeers.delete(id);
  if (st.accepted.has(edge.to)) st.unseenDirty.add(edge.to);
  if (edge.rates !== undefined) st.rates.release(edge.rates);
  st.edgeRemovals++;
  const bound = st.sockets.get(edge.to)?.boundEdges;
  const onEndpoint = bound?.get(edge.endpoint);
  onEndpoint?.delete(edge);
  if (onEndpoint?.size === 0) bound?.delete(edge.endpoint);
  const from = st.sockets.get(edge.from);
  if (from) from.fromEdges = fromEdgesWith(from, edge, true);
  st.dirtyEdges.delete(id);
  st.removedEdges.add(id);
}

export function syntheticSocket(st: StoreState, nodeId: string, name: string, host: string, routingHex: string | undefined, binds: string[]): SocketRec | undefined {
  const id = `${nodeId}/0`;
  const existing = st.sockets.get(id);
  if (existing) return existing;
  if (st.unknownPeers >= st.limits.unknownPeers && !evictGonePlaceholder(st)) {
    discard(st, 'cap:unknown-peers');
    return undefined;
  }
  const now = st.inputAt ?? st.now();
  st.unknownPeers++;
  st.nodes.set(nodeId, {
    id: nodeId, pid: 0, host, instance: '', name, title: 'unknown peer', runtime: UNKNOWN_RUNTIME, agent: { name: 'none', version: '' },
    startedAt: now, lastSeenAt: now, dropped: 0, missed: 0, malformed: 0, lagMs: 0, unknown: true, sentLastSeenAt: now,
  });
  st.socketsByNode.set(nodeId, new Set([id]));
  const socket: SocketRec = {
    id, nodeId, type: 'UNKNOWN', name, ...(routingHex !== undefined ? { routingHex } : {}), options: { disconnectMsg: false },
    binds: binds.map((b) => ({ requested: b })), connects: NO_ENDPOINTS, closed: false, unknown: true, connectEndpoint: undefined, connectEdges: NO_CONNECT_EDGES, fromEdges: NO_EDGES,
  };
  st.sockets.set(id, socket);
  st.dirtyNodes.add(nodeId);
  st.dirtySockets.add(id);
  return socket;
}

/** Placeholders nothing points at any more go away. */
export function dropOrphans(st: StoreState): void {
  for (const socket of [...st.sockets.values()]) {
    if (!socket.unknown || hasFromEdges(socket) || (socket.boundEdges?.size ?? 0) > 0) continue;
    removeSocket(st, socket.id);
    removeNode(st, socket.nodeId);
    st.unknownPeers--;
  }
  for (const socket of st.sockets.values()) {
    for (const [hex, peer] of socket.peers ?? []) if (peer.edgeId !== undefined && !st.edges.has(peer.edgeId)) socket.peers?.delete(hex);
  }
}

export function removeSocket(st: StoreState, id: string): void {
  const socket = st.sockets.get(id);
  if (!socket) return;
  for (const edge of edgesOf(socket)) removeEdge(st, edge.id);
  for (const log of socket.conns ?? []) st.connOwner.delete(log.key);
  st.sockets.delete(id);
  st.socketsByNode.get(socket.nodeId)?.delete(id);
  st.dirtySockets.delete(id);
  st.removedSockets.add(id);
}

export function removeNode(st: StoreState, id: string): void {
  st.nodes.delete(id);
  st.gonePlaceholders.delete(id);
  st.socketsByNode.delete(id);
  st.dirtyNodes.delete(id);
  st.removedNodes.add(id);
}

/** Makes room at a cap by forgetting the placeholder gone longest (a peer without an agent whose connection ended). */
export function evictGonePlaceholder(st: StoreState): boolean {
  const oldest = st.gonePlaceholders.values().next();
  if (oldest.done === true) return false;
  forgetPlaceholder(st, oldest.value);
  discard(st, 'cap:evicted-gone-peers');
  st.topologyDirty = true;
  return true;
}

/**
 * Makes room at the node cap for a process that is live by forgetting the one exited longest, with its
 * sockets and edges: a long session of workers that crash and are restarted filled the cap with the
 * dead, and every new process was then refused.
 */
export function evictExitedProcess(st: StoreState): boolean {
  let oldest: NodeRec | undefined;
  for (const node of st.nodes.values()) {
    if (!node.unknown && node.exitedAt !== undefined && (oldest === undefined || node.exitedAt < oldest.exitedAt!)) oldest = node;
  }
  if (oldest === undefined) return false;
  forgetProcess(st, oldest.id);
  dropOrphans(st);
  discard(st, 'cap:evicted-exited-processes');
  st.topologyDirty = true;
  return true;
}

/** Removes a process's node with its sockets and their edges. */
export function forgetProcess(st: StoreState, nodeId: string): void {
  for (const socketId of [...(st.socketsByNode.get(nodeId) ?? [])]) removeSocket(st, socketId);
  removeNode(st, nodeId);
}

/** Removes a placeholder node with its socket and edges, and the ROUTER's record of its routing id. */
export function forgetPlaceholder(st: StoreState, nodeId: string): void {
  for (const socketId of [...(st.socketsByNode.get(nodeId) ?? [])]) {
    const socket = st.sockets.get(socketId);
    for (const edge of socket ? edgesOf(socket) : []) {
      if (socket?.routingHex !== undefined) st.sockets.get(edge.to)?.peers?.delete(socket.routingHex);
    }
    removeSocket(st, socketId);
  }
  removeNode(st, nodeId);
  st.unknownPeers--;
}

export function evictClosedSocket(st: StoreState): boolean {
  for (const socket of st.sockets.values()) {
    if (socket.closed && !socket.unknown) {
      removeSocket(st, socket.id);
      discard(st, 'cap:evicted-closed-sockets');
      st.topologyDirty = true;
      return true;
    }
  }
  return false;
}
