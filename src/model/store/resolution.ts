/**
 * Resolution: which socket each connect reaches (endpoints.ts) and which connecting socket each
 * ROUTER peer is (attribution.ts, docs/SNAPSHOT.md "Attribution"), recomputed from the facts when
 * they change (StoreState.topologyDirty), before anything reads the edges.
 */
import { binLabel, binOfHex } from '../../protocol/bin';
import type { Bin, FirstMessages } from '../../protocol/types';
import type { Attribution } from '../../shared/snapshot';
import { pairPeers, type ConnectionEvidence, type PeerEvidence, type Stamp } from '../attribution';
import { matchKeys } from '../endpoints';
import { ROUTER_LIKE, allConnectEdgeIds, setConnectEdges, type ConnectsReached, bindDisplay, fromEdgeList, edgeIds, type EdgeIds, claimantsOf, connectEdgesAt, soleClaimant, withClaimant, type ConnLogRec, type EdgeRec, type EndpointRec, type FirstLogRec, type NodeRec, type Pairing, type PeerRec, type SocketRec, type StampClock } from './records';
import { servedEdge } from './clashes';
import { discard, type StoreState } from './state';
import { dropOrphans, edgesOf, ensureEdge, mergeEdge, pick, syntheticSocket } from './graph';

/** Connection logs kept per connecting socket: enough for a few reconnects in a row. */
const CONNECTIONS_KEPT = 4;

/**
 * ROUTERs with more peers than this are re-paired for their connectors' new logs by the sweep (and
 * their own records), not at once: a pass costs O(peers), and a hub meeting 980 anonymous DEALERs
 * re-paired once per DEALER log, ~4,000 passes, 3-4 s of the store's time.
 */
const PAIR_AT_ONCE_MAX_PEERS = 100;

/** Connects, routing-id claims and every pending re-pairing: the sweep's start. */
export function resolveIfDirty(st: StoreState): void {
  resolveEdges(st);
  if (st.routersToPair.size > 0) repair(st, [...st.routersToPair]);
}

/**
 * Connects and routing-id claims: what a record needs before it finds its edges, and what a read
 * (snapshot, diff) does. Never a re-pairing: pairing is incremental, so when it runs shapes what it
 * finds, and a read's moment is not in a recording (docs/ARCHITECTURE.md invariant 7).
 */
export function resolveEdges(st: StoreState): void {
  if (st.topologyDirty) resolve(st);
  if (st.connectorsToResolve.size > 0) resolveConnectors(st);
}

/**
 * What a record about `socket` needs: connects and claims, `socket`'s own pending re-pairing, and
 * those of ROUTERs small enough to re-pair at once (the others wait for the sweep).
 */
export function resolveFor(st: StoreState, socket: SocketRec): void {
  resolveEdges(st);
  if (st.routersToPair.size === 0) return;
  const due: string[] = [];
  for (const id of st.routersToPair) if (id === socket.id || (st.sockets.get(id)?.peers?.size ?? 0) <= PAIR_AT_ONCE_MAX_PEERS) due.push(id);
  if (due.length > 0) repair(st, due);
}

/**
 * New first-message evidence changes only its ROUTERs' pairings: those are redone alone. (A full
 * resolve per log cost O(graph) each: 25 s for a 980-peer hub to appear, where 3 s is process start.)
 */
function repair(st: StoreState, ids: readonly string[]): void {
  const removals = st.edgeRemovals;
  for (const id of ids) {
    const router = st.sockets.get(id);
    if (router && !router.closed && router.peers) attributePeers(st, router);
    else st.routersToPair.delete(id);
  }
  if (st.edgeRemovals !== removals) dropOrphans(st);
}

/** Recomputes which socket each connect reaches and which socket each ROUTER peer is. */
function resolve(st: StoreState): void {
  st.topologyDirty = false;
  st.connectorsToResolve.clear();
  st.byRoutingId = new Map();
  st.sharedRoutingIds = 0;
  for (const socket of st.sockets.values()) {
    if (!socket.unknown && socket.routingHex !== undefined && st.nodes.has(socket.nodeId)) claimRoutingId(st, socket, socket.routingHex);
  }
  const binders = bindersOf(st);
  for (const socket of [...st.sockets.values()]) resolveConnects(st, socket, binders);

  for (const socket of st.sockets.values()) {
    if (!socket.closed && socket.peers) attributePeers(st, socket);
  }
  for (const id of st.routersToPair) {
    const router = st.sockets.get(id);
    if (!router || router.closed) st.routersToPair.delete(id);
  }
  dropOrphans(st);
}

/**
 * A socket whose own connects (or its arrival) changed, where no bind did: only its connects are
 * resolved, and the ROUTERs it reaches or claims a peer on re-attributed. (A full resolve per new
 * DEALER made a 980-process startup O(sockets²): 1.4-2.2 s of the store's time.)
 */
function resolveConnectors(st: StoreState): void {
  const removals = st.edgeRemovals;
  const binders = bindersOf(st);
  for (const id of [...st.connectorsToResolve]) {
    st.connectorsToResolve.delete(id);
    const socket = st.sockets.get(id);
    if (!socket || socket.unknown || !st.nodes.has(socket.nodeId)) continue;
    if (socket.routingHex !== undefined && !claimantsOf(st.byRoutingId.get(socket.routingHex)).includes(socket)) claimRoutingId(st, socket, socket.routingHex);
    resolveConnects(st, socket, binders);
    const routers = new Set<SocketRec>();
    for (const edge of fromEdgeList(socket)) {
      const to = st.sockets.get(edge.to);
      if (to?.peers && !to.closed) routers.add(to);
    }
    const hex = socket.routingHex;
    if (hex !== undefined) {
      for (const other of st.sockets.values()) if (other.peers?.has(hex) && !other.closed) routers.add(other);
    }
    for (const router of routers) attributePeers(st, router);
  }
  if (st.edgeRemovals !== removals) dropOrphans(st);
}

/** Adds `socket` to the claimants of its routing id. */
function claimRoutingId(st: StoreState, socket: SocketRec, hex: string): void {
  const claimants = st.byRoutingId.get(hex);
  if (claimants !== undefined && soleClaimant(claimants)) st.sharedRoutingIds++;
  st.byRoutingId.set(hex, withClaimant(claimants, socket));
}

/** Endpoint match key → the sockets bound there, with the endpoint as they bound it. */
type Binders = Map<string, { socket: SocketRec; endpoint: string }[]>;

/** Where each endpoint key can be connected to: the live processes' open sockets' binds. */
function bindersOf(st: StoreState): Binders {
  const binders: Binders = new Map();
  for (const socket of st.sockets.values()) {
    if (socket.unknown || socket.closed || socket.binds.length === 0) continue;
    const node = st.nodes.get(socket.nodeId);
    // Only a live process's open socket can accept a new connection.
    if (!node || node.exitedAt !== undefined) continue;
    for (const bind of socket.binds) {
      const endpoint = bindDisplay(bind);
      for (const key of matchKeys(endpoint, node.host, node.id)) {
        const list = binders.get(key) ?? [];
        if (!list.some((b) => b.socket === socket)) list.push({ socket, endpoint });
        binders.set(key, list);
      }
    }
  }
  return binders;
}

/** Which socket each of `socket`'s connects reaches (a placeholder when none binds it yet). */
function resolveConnects(st: StoreState, socket: SocketRec, binders: Binders): void {
  const node = st.nodes.get(socket.nodeId);
  if (socket.unknown || socket.closed || !node || node.exitedAt !== undefined) return;
  const previous: ConnectsReached = { connectEndpoint: socket.connectEndpoint, connectEdges: socket.connectEdges };
  const next: EdgeIds[] = [];
  // Read while it is built (ensureEdge, mergeEdge): the list as far as it goes.
  socket.connectEndpoint = undefined;
  socket.connectEdges = next;
  for (const connect of socket.connects) {
    const endpoint = bindDisplay(connect);
    const targets: { socket: SocketRec; endpoint: string }[] = [];
    for (const key of matchKeys(endpoint, node.host, node.id)) {
      for (const b of binders.get(key) ?? []) if (b.socket !== socket && !targets.some((t) => t.socket === b.socket)) targets.push(b);
    }
    const earlier = (connectEdgesAt(previous, endpoint) ?? []).filter((id) => {
      const edge = st.edges.get(id);
      return edge !== undefined && st.sockets.get(edge.to)?.unknown !== true;
    });
    if (targets.length === 0 && earlier.length > 0) {
      // Its binder went away: the connect stays on that (now disconnected) edge until another binds.
      putConnectEdges(next, endpoint, earlier);
      continue;
    }
    if (targets.length === 0) {
      const placeholder = endpointPeer(st, endpoint, node);
      if (placeholder) targets.push({ socket: placeholder, endpoint });
    }
    if (targets.length > 1 && endpoint.startsWith('ipc://')) targets.splice(0, targets.length, reachedBinder(targets, connect));
    const edgeIds: string[] = [];
    for (const target of targets) {
      const edge = ensureEdge(st, socket, target.socket, target.endpoint);
      if (edge) edgeIds.push(edge.id);
    }
    putConnectEdges(next, endpoint, edgeIds.slice()); // exact size: one edge per connect is the rule
    // A connect that was waiting on a placeholder now reaches a real binder: move its history over.
    for (const oldId of connectEdgesAt(previous, endpoint) ?? []) {
      const old = st.edges.get(oldId);
      if (!old || edgeIds.includes(oldId) || !st.sockets.get(old.to)?.unknown) continue;
      const target = edgeIds.length === 1 ? st.edges.get(edgeIds[0]) : undefined;
      if (target) mergeEdge(st, old, target);
    }
  }
  setConnectEdges(socket, next);
}

/**
 * Which of several live sockets bound to one ipc path a connection reached. A bind on a path another
 * socket holds succeeds: libzmq unlinks the path and binds it anew, so the old socket keeps the
 * connections it has and every later one reaches the new one (a restarted server whose old copy still
 * runs). The connection reached the latest bind made before it came up; with no times, the latest bind.
 */
function reachedBinder(targets: readonly { socket: SocketRec; endpoint: string }[], connect: EndpointRec): { socket: SocketRec; endpoint: string } {
  const madeAt = connect.upAt ?? connect.at ?? Infinity;
  const boundAt = (t: { socket: SocketRec; endpoint: string }): number =>
    t.socket.binds.find((b) => bindDisplay(b) === t.endpoint)?.at ?? -Infinity;
  const before = targets.filter((t) => boundAt(t) <= madeAt);
  return (before.length > 0 ? before : targets).reduce((latest, t) => (boundAt(t) > boundAt(latest) ? t : latest));
}

/** How often, at most, a ROUTER is paired afresh in full for peers left unknown (store clock). */
const STUCK_REPAIR_MS = 1000;

/**
 * The sweep's part: a ROUTER whose pairings changed incrementally since its last full pairing and
 * that still has a live unknown peer with logged messages is paired afresh in full, at most every
 * STUCK_REPAIR_MS. Incremental pairing never revisits a standing pairing whose logs are unchanged,
 * and such a pairing may hold that peer's own connection (a few of 980 anonymous peers stayed
 * unknown once in ~15 load-test runs); once all logs are in, no new evidence would re-pair them.
 */
export function repairStuckPeers(st: StoreState, now: number): void {
  const removals = st.edgeRemovals;
  for (const router of st.sockets.values()) {
    if (!router.peers || router.closed || !router.needsFullPairing) continue;
    if ((router.fullPairedAt ?? -Infinity) + STUCK_REPAIR_MS > now) continue;
    let stuck = false;
    for (const rec of router.peers.values()) {
      const edge = rec.first && rec.edgeId !== undefined ? st.edges.get(rec.edgeId) : undefined;
      if (edge && edge.phase !== 'disconnected' && st.sockets.get(edge.from)?.unknown) {
        stuck = true;
        break;
      }
    }
    if (!stuck) continue;
    // Not redundant with the sweep's own resolveIfDirty, though it looks it: taken out, a few of 980
    // load-test peers stayed unknown for good in 2 runs of 2 (not traced; likely a router marked again
    // by the sweep's own re-pairing, whose incremental pass then ran after this full one).
    resolveIfDirty(st);
    router.fullPairedAt = now;
    pairRouter(st, router, true);
    attributePeers(st, router);
  }
  if (st.edgeRemovals !== removals) dropOrphans(st);
}

/** Re-pairs a ROUTER if its evidence changed, then settles which edge each of its peers is. */
function attributePeers(st: StoreState, router: SocketRec): void {
  if (st.routersToPair.has(router.id)) pairRouter(st, router);
  let gathered: Connectors | undefined;
  const connectors = (): Connectors => (gathered ??= new Connectors(st, router));
  for (const peer of router.peers?.values() ?? []) {
    const current = peer.edgeId === undefined ? undefined : st.edges.get(peer.edgeId);
    const found = attributePeer(st, router, peer, current, connectors);
    if (!found) continue;
    if (found.edge === current) {
      if (peer.how !== found.how) assignPeer(st, peer, current, found.how);
      continue;
    }
    if (current && st.sockets.get(current.from)?.unknown) mergeEdge(st, current, found.edge);
    else if (current?.routingHex === peer.hex) {
      // Evidence moved the peer to another socket: the edge it leaves no longer knows its id.
      current.routingHex = undefined;
      current.attribution = undefined;
      st.dirtyEdges.add(current.id);
    }
    assignPeer(st, peer, found.edge, found.how);
    gathered?.moved(st, peer.hex, current, found.edge);
  }
}

/**
 * What the only-candidate rule asks of a ROUTER's connectors, gathered once per attribution pass and
 * kept up to date as the pass moves peers (asked afresh per peer, it cost O(peers + connectors) for
 * each unpaired peer: a quarter of a 980-peer hub's store time while its peers were still unpaired).
 */
class Connectors {
  /** Instrumented anonymous sockets connected here, by socket id (its last such edge); `silent`: those that logged no message they sent. */
  private readonly all = new Map<string, EdgeRec>();
  private readonly silent = new Map<string, EdgeRec>();
  /** Socket id → the routing ids (hex) of the ROUTER's peers on a live edge from it. */
  private readonly holders = new Map<string, Set<string>>();

  constructor(st: StoreState, router: SocketRec) {
    for (const edge of edgesOf(router, 'bound')) {
      const from = st.sockets.get(edge.from);
      if (!from || from.unknown || from.routingHex !== undefined || !allConnectEdgeIds(from).includes(edge.id)) continue;
      this.all.set(from.id, edge);
      // A socket that logged what it sent is someone else when a peer's own messages fit none of its connections.
      if (!from.conns?.some((c) => c.out.length > 0)) this.silent.set(from.id, edge);
    }
    for (const rec of router.peers?.values() ?? []) {
      this.hold(rec.hex, rec.edgeId === undefined ? undefined : st.edges.get(rec.edgeId), true);
    }
  }

  /** A peer moved from one edge to another during the pass (`from` may be gone: merged away). */
  moved(st: StoreState, hex: string, from: EdgeRec | undefined, to: EdgeRec): void {
    this.hold(hex, from && st.edges.get(from.id), false);
    this.hold(hex, to, true);
  }

  /**
   * The one connector no other peer is on, if there is exactly one: the only candidate for peer
   * `hex`. A peer that sent messages is no socket that logged what it sent (its log did not pair).
   */
  onlyCandidate(hex: string, spoke: boolean): EdgeRec | undefined {
    let found: EdgeRec | undefined;
    for (const [id, edge] of spoke ? this.silent : this.all) {
      const on = this.holders.get(id);
      if (on !== undefined && (on.size > 1 || !on.has(hex))) continue;
      if (found) return undefined;
      found = edge;
    }
    return found;
  }

  private hold(hex: string, edge: EdgeRec | undefined, on: boolean): void {
    if (!edge || edge.phase === 'disconnected') return;
    let peers = this.holders.get(edge.from);
    if (on) this.holders.set(edge.from, (peers ??= new Set()).add(hex));
    else peers?.delete(hex);
  }
}

/**
 * A ROUTER's record of a peer, made on first sight. Past the store's edge limit the oldest is
 * forgotten (anonymous peers get a new routing id on every reconnect). The cap was 4,096: a ROUTER
 * with more live peers than that forgot and re-attributed one on nearly every traffic record.
 */
function peerRec(st: StoreState, router: SocketRec, peer: Bin): PeerRec {
  const peers = (router.peers ??= new Map());
  let rec = peers.get(peer.hex);
  if (!rec) {
    if (peers.size >= st.limits.edges) {
      // Forget the oldest mapping (its edge stays); that peer is attributed afresh if it speaks again.
      peers.delete(peers.keys().next().value as string);
      discard(st, 'cap:forgotten-peers');
    }
    // No pairing is due for a new peer until its first messages come (firstMessages() says so): a
    // re-pairing per new peer cost O(peers) each, O(peers²) for a ROUTER meeting thousands at once.
    // The claimant socket's copy of the id, when there is one: one string per routing id, not one per side.
    rec = { hex: claimantsOf(st.byRoutingId.get(peer.hex))[0]?.routingHex ?? peer.hex, edgeId: undefined, how: undefined, first: undefined };
    peers.set(rec.hex, rec);
  }
  return rec;
}

/** The edge for a ROUTER's peer, attributing the peer on first sight. */
export function peerEdge(st: StoreState, router: SocketRec, peer: Bin): EdgeRec | undefined {
  const rec = peerRec(st, router, peer);
  if (st.routersToPair.has(router.id)) repair(st, [router.id]);
  const current = rec.edgeId === undefined ? undefined : st.edges.get(rec.edgeId);
  if (current) return current;
  const found = attributePeer(st, router, rec, undefined, () => new Connectors(st, router));
  if (!found) return undefined;
  assignPeer(st, rec, found.edge, found.how);
  return found.edge;
}

function assignPeer(st: StoreState, rec: PeerRec, edge: EdgeRec, how: Attribution): void {
  rec.edgeId = edge.id;
  rec.how = how;
  if (edge.routingHex !== rec.hex) edge.routingHex = rec.hex;
  edge.attribution = how;
  st.dirtyEdges.add(edge.id);
}

/**
 * Which edge a ROUTER's peer is, and how that was decided: the socket that set routing id R; else
 * the connection whose first messages fit the peer's (pairRouter); else, with no message evidence
 * either way, the single connecting socket not otherwise accounted for; else an "unknown peer R".
 */
function attributePeer(st: StoreState, router: SocketRec, rec: PeerRec, current: EdgeRec | undefined, connectors: () => Connectors): { edge: EdgeRec; how: Attribution } | undefined {
  const hex = rec.hex;
  if (reachedByConnect(st, router, hex)) return undefined;
  const claimed = st.byRoutingId.get(hex);
  if (claimed) {
    const live = (s: SocketRec): boolean => !s.closed && st.nodes.get(s.nodeId)?.exitedAt === undefined;
    // A reused routing id (a worker replacing its socket) is the open socket's, not a closed one's.
    const claimants = claimantsOf(claimed).filter((s) => s !== router).sort((a, b) => Number(live(b)) - Number(live(a)));
    const edges: EdgeRec[] = [];
    for (const claimant of claimants) {
      for (const edgeId of allConnectEdgeIds(claimant)) {
        const edge = st.edges.get(edgeId);
        if (edge?.to === router.id) edges.push(edge);
      }
    }
    if (edges.length > 0) return { edge: servedEdge(st, router, edges), how: 'routing-id' };
    const liveClaimants = claimants.filter(live);
    const claimant = liveClaimants.length === 1 ? liveClaimants[0] : claimants.length === 1 ? claimants[0] : undefined;
    if (claimant) {
      const edge = ensureEdge(st, claimant, router, router.binds[0] ? bindDisplay(router.binds[0]) : '');
      return edge && { edge, how: 'routing-id' };
    }
  }
  const paired = router.pairings?.get(hex);
  const pairedEdge = paired === undefined ? undefined : st.edges.get(paired.edgeId);
  if (pairedEdge && paired) return { edge: pairedEdge, how: paired.how };
  // A socket that logged its messages is someone else when the peer's own messages fit none of its connections.
  const peerSpoke = (rec.first?.in.length ?? 0) > 0;
  const contradicts = (from: SocketRec): boolean => peerSpoke && from.conns !== undefined && from.conns.some((c) => c.out.length > 0);
  // An earlier attribution stands until evidence says otherwise.
  const currentFrom = current === undefined ? undefined : st.sockets.get(current.from);
  if (current && currentFrom && !currentFrom.unknown && !contradicts(currentFrom)) return { edge: current, how: rec.how ?? 'only-candidate' };

  const only = connectors().onlyCandidate(hex, peerSpoke);
  if (only) return { edge: only, how: 'only-candidate' };
  if (current && currentFrom?.unknown) return { edge: current, how: 'unknown' };
  const edge = unknownPeer(st, router, hex);
  return edge && { edge, how: 'unknown' };
}

/**
 * Whether a ROUTER's peer is the far end of one of the ROUTER's own connects, not a socket connected
 * to it. A ROUTER that connects knows each binder by the binder's routing id (zguide's Freelance
 * client PINGs servers named by their endpoints), and one that binds nothing has no other peers. Such
 * a peer's traffic goes on that connect's edge (ingest.ts trafficEdges); attributed as a connector,
 * it was drawn as the server connecting to the client, or as an "unknown peer" doing so.
 */
function reachedByConnect(st: StoreState, router: SocketRec, hex: string): boolean {
  if (router.binds.length === 0) return true;
  for (const edgeId of allConnectEdgeIds(router)) {
    const edge = st.edges.get(edgeId);
    if (edge && reachesBinderOf(st, edge, hex)) return true;
  }
  return false;
}

/** Whether a connect edge goes to the binder that set routing id `hex` (how a connecting ROUTER names it). */
export function reachesBinderOf(st: StoreState, edge: EdgeRec, hex: string): boolean {
  return st.sockets.get(edge.to)?.routingHex === hex;
}

/**
 * Pairs the ROUTER's anonymous peers with its connectors' connections by their first messages
 * (attribution.ts). A pairing stands while its connection is gone (settled); the others stand while
 * neither log they were made from has changed, and only new or changed ones are paired among the
 * connections no one holds. Re-pairing every peer on each new log cost O(peers × connections) a
 * time: ~0.8 s per telemetry message for a hub meeting 980 anonymous DEALERs at once. When that
 * leaves a peer unpaired beside a free connection (an earlier pairing may hold the peer's own), all
 * unsettled peers are paired afresh (`all`). A connection of a socket with one connect endpoint goes
 * to one peer in all.
 */
function pairRouter(st: StoreState, router: SocketRec, all = false): void {
  st.routersToPair.delete(router.id);
  router.needsFullPairing = !all;
  // A pair chosen by timing was the best among the connections reported so far: on a small ROUTER
  // it is chosen afresh when another connection reports (its sender may have sent the same messages,
  // sooner). A hub meeting hundreds of identical peers keeps them: afresh, its pairing took 40 % more
  // time (bench/lib/anonymousHub.ts, 980 DEALERs), and it grows with the square of the peers.
  const small = (router.peers?.size ?? 0) <= PAIR_AT_ONCE_MAX_PEERS && boundEdgeCount(router) <= PAIR_AT_ONCE_MAX_PEERS;
  const connectionLogs = small ? router.connectionLogs ?? 0 : 0;
  const previous = router.pairings;
  const kept = new Map<string, Pairing>();
  const peers: PeerEvidence[] = [];
  let routerLog: FirstLogRec | undefined;
  const unpair = (hex: string, first: FirstLogRec, before: Pairing | undefined): void => {
    if (before && st.connOwner.get(before.connection)?.router === router.id) st.connOwner.delete(before.connection);
    routerLog ??= first;
    peers.push({ key: hex, in: first.in, out: first.out });
  };
  // Pairs chosen by timing that still stand: on a small ROUTER they are chosen afresh with any peer
  // that is. Kept, they hid their connections from it, and a peer left one connection to fit was
  // called certain ('content') though a kept guess held its own (truth (a2): two DEALERs whose hellos
  // left within 2 ms, each given the other's id for good).
  const guesses: [string, FirstLogRec, Pairing][] = [];
  for (const rec of router.peers?.values() ?? []) {
    if (!rec.first || st.byRoutingId.has(rec.hex)) continue;
    const before = previous?.get(rec.hex);
    const edge = before && st.edges.get(before.edgeId);
    const stands = !all && before?.peerLog === rec.first && (before.how !== 'timing' || before.connectionLogs === connectionLogs);
    if (before && edge && (edge.phase === 'disconnected' || (stands && before.connLog === offeredLog(st, router, edge, before.connection)))) {
      if (small && before.how === 'timing' && edge.phase !== 'disconnected') guesses.push([rec.hex, rec.first, before]);
      else kept.set(rec.hex, before);
      continue;
    }
    unpair(rec.hex, rec.first, before);
  }
  for (const [hex, first, before] of guesses) {
    if (peers.length > 0) unpair(hex, first, before);
    else kept.set(hex, before);
  }
  router.pairings = kept.size > 0 ? kept : undefined;
  if (peers.length === 0 || !routerLog) return;
  // Offered: the connections of this ROUTER's anonymous connectors that neither a kept pairing nor
  // another ROUTER's peer holds. (Gathered only when a peer is to be paired; the key is the log's own:
  // building it per connection and call was a quarter of a 980-peer hub's store time.)
  let keptConnections: Set<string> | undefined;
  const connLogs = new Map<string, { edge: EdgeRec; log: ConnLogRec; from: SocketRec }>();
  for (const edge of edgesOf(router, 'bound')) {
    const from = loggingConnector(st, edge);
    if (!from?.conns) continue;
    for (const log of from.conns) {
      const owner = st.connOwner.get(log.key);
      if (owner !== undefined && (owner.router !== router.id || kept.get(owner.peer)?.connection === log.key)) continue;
      if (owner === undefined) {
        // Not owned (a socket with several connects, below) yet held by a kept pairing all the same.
        keptConnections ??= new Set(Array.from(kept.values(), (p) => p.connection));
        if (keptConnections.has(log.key)) continue;
      }
      connLogs.set(log.key, { edge, log, from });
    }
  }
  const connections: ConnectionEvidence[] = [];
  for (const [key, { log, from }] of connLogs) {
    // One host, one clock: stamps compare as they are. Each agent's offset holds its telemetry's
    // transport and queueing delay, which on a loaded box differs between agents by far more than
    // the messages' own delays (the truth harness's 60-DEALER scenario lost every pairing to it), so
    // offsets are used only across hosts or clocks. The one clock is the monotonic one: two wall
    // clocks read differently (Node's start time + time since, Python's now) part by any step since.
    const shift = log.host === routerLog.host && log.clock === routerLog.clock ? 0 : log.offset - routerLog.offset;
    const moved = (stamps: readonly Stamp[]): readonly Stamp[] => (shift === 0 ? stamps : stamps.map(([t, fp]) => [t + shift, fp] as const));
    connections.push({ key, out: moved(log.out), in: moved(log.in), ...(from.connects.length > 1 ? { dealt: true } : {}), ...(shift === 0 ? { oneClock: true } : {}) });
  }
  const pairs = pairPeers(peers, connections);
  if (!all && pairs.size < peers.length && pairs.size < connections.length) {
    pairRouter(st, router, true);
    return;
  }
  if (pairs.size === 0) return;
  const pairings = (router.pairings ??= new Map());
  for (const [hex, pairing] of pairs) {
    const found = connLogs.get(pairing.connection);
    const peerLog = router.peers?.get(hex)?.first;
    if (!found || !peerLog) continue;
    pairings.set(hex, { edgeId: found.edge.id, how: pairing.how, connection: pairing.connection, peerLog, connLog: found.log, connectionLogs });
    // A socket connected to several endpoints logs its connections together: not one peer's alone.
    if (found.from.connects.length <= 1) st.connOwner.set(pairing.connection, { router: router.id, peer: hex });
  }
}

function boundEdgeCount(router: SocketRec): number {
  let count = 0;
  for (const edges of router.boundEdges?.values() ?? []) count += edges.size;
  return count;
}

/** The log a pairing's connection has now, when this ROUTER still offers it. */
function offeredLog(st: StoreState, router: SocketRec, edge: EdgeRec, connection: string): ConnLogRec | undefined {
  if (edge.to !== router.id) return undefined;
  return loggingConnector(st, edge)?.conns?.find((log) => log.key === connection);
}

/** The edge's connecting socket when its connection logs are pairing evidence: instrumented, anonymous, with logs. */
function loggingConnector(st: StoreState, edge: EdgeRec): SocketRec | undefined {
  const from = st.sockets.get(edge.from);
  return from?.conns && !from.unknown && from.routingHex === undefined ? from : undefined;
}

/** What a socket's traffic record says about its first messages (evidence for pairRouter). */
export function firstMessages(st: StoreState, node: NodeRec, socket: SocketRec, peer: Bin | undefined, first: FirstMessages, stamps: StampClock): void {
  const log: FirstLogRec = { in: first.in, out: first.out, host: node.host, clock: stamps.clock, offset: stamps.offset };
  if (peer !== undefined) {
    if (!ROUTER_LIKE.has(socket.type)) return;
    peerRec(st, socket, peer).first = log;
    // A peer whose routing id a socket claims is attributed by it: its log pairs nothing.
    if (!st.byRoutingId.has(peer.hex)) st.routersToPair.add(socket.id);
    return;
  }
  if (socket.routingHex !== undefined) return; // attributed by its id
  const conn = first.conn ?? 1;
  const conns = (socket.conns ?? []).filter((c) => c.conn !== conn);
  const newConnection = conns.length === (socket.conns?.length ?? 0);
  conns.push({ ...log, conn, key: `${socket.id}#${conn}` });
  conns.sort((a, b) => a.conn - b.conn);
  socket.conns = conns.length > CONNECTIONS_KEPT ? conns.slice(-CONNECTIONS_KEPT) : conns;
  for (const edge of fromEdgeList(socket)) {
    const to = st.sockets.get(edge.to);
    if (!to || !ROUTER_LIKE.has(to.type)) continue;
    st.routersToPair.add(to.id);
    if (newConnection) to.connectionLogs = (to.connectionLogs ?? 0) + 1;
  }
}

/** The latest other socket's edge to `router` with the same routing id (a replaced DEALER), if kept. */
export function previousPeerEdge(st: StoreState, router: SocketRec, peer: Bin, current: EdgeRec): EdgeRec | undefined {
  let found: EdgeRec | undefined;
  for (const claimant of claimantsOf(st.byRoutingId.get(peer.hex))) {
    if (claimant.id === current.from) continue;
    for (const edge of pick(st, allConnectEdgeIds(claimant))) {
      if (edge.to === router.id && (!found || edge.phaseAt > found.phaseAt)) found = edge;
    }
  }
  return found;
}

function unknownPeer(st: StoreState, router: SocketRec, hex: string): EdgeRec | undefined {
  const routerNode = st.nodes.get(router.nodeId);
  // A STREAM socket's peers are plain TCP clients, never ZeroMQ sockets: named as what they are.
  const name = `${router.type === 'STREAM' ? 'TCP peer' : 'unknown peer'} ${binLabel(binOfHex(hex))}`;
  const socket = syntheticSocket(st, `?peer:${router.id}:${hex}`, name, routerNode?.host ?? '', hex, []);
  return socket && ensureEdge(st, socket, router, router.binds[0] ? bindDisplay(router.binds[0]) : '');
}

/** A connect that reaches no known binder goes to a placeholder for the endpoint, so it stays visible. */
function endpointPeer(st: StoreState, endpoint: string, node: NodeRec): SocketRec | undefined {
  const key = matchKeys(endpoint, node.host, node.id)[0] ?? endpoint;
  return syntheticSocket(st, `?endpoint:${key}`, `unknown peer at ${endpoint}`, node.host, undefined, [endpoint]);
}

/** Sets `endpoint`'s edge ids in a flat ConnectEdges list being built (as Map.set would). */
function putConnectEdges(list: EdgeIds[], endpoint: string, ids: readonly string[]): void {
  for (let k = 0; k < list.length; k += 2) {
    if (list[k] === endpoint) {
      list[k + 1] = edgeIds(ids);
      return;
    }
  }
  list.push(endpoint, edgeIds(ids));
}
