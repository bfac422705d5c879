/**
 * Routing-id clashes: two live connections into one ROUTER whose connecting sockets set the same
 * routing id (a copied config, a restarted worker beside its old self, one socket connected twice).
 * libzmq serves one of them: without ZMQ_ROUTER_HANDOVER the first keeps the id and the ROUTER never
 * reads the later connection, not even after the first goes (it reads a refused connection's pipe
 * only until its routing id, and is never woken for it again); with handover the latest takes the
 * id and the others are dropped. Both ends' monitors say "connected" either way, so without this the
 * graph showed two healthy edges where one was dead in the water (docs/SNAPSHOT.md, "Routing-id clashes").
 */
import { allConnectEdgeIds, claimantsOf, soleClaimant, type EdgeRec, type SocketRec } from './records';
import { edgeExited } from './liveness';
import type { StoreState } from './state';

export interface ClashRec {
  /** The other connections into the same ROUTER with this routing id, as judged (edge ids). */
  with: readonly string[];
  /** Whether the ROUTER serves this connection by libzmq's rule. */
  serves: boolean;
  /** The ROUTER set ZMQ_ROUTER_HANDOVER (its agent saw the app set it). */
  handover: boolean;
  /** The edge's phaseAt when judged: a refused connection stays refused until it goes down. */
  since: number;
  /** Judged by the ROUTER's silence, no other connection with the id being up (refusedUnread). */
  unread?: boolean;
}

/** How long after a connector's send the ROUTER's agent must have spoken, having read nothing of it. */
export const UNREAD_AFTER_MS = 1000;

/** Judges every clash afresh (the sweep's part) and marks the edges whose judgement changed. */
export function judgeRoutingIdClashes(st: StoreState): void {
  const next = new Map<string, ClashRec>();
  for (const entry of st.byRoutingId.values()) {
    const sole = soleClaimant(entry);
    if (sole && !claimantConnectsTwice(sole)) continue;
    for (const [routerId, edges] of liveEdgesByRouter(st, claimantsOf(entry))) {
      const router = st.sockets.get(routerId)!;
      if (edges.length < 2) {
        const unread = sole ? undefined : refusedUnread(st, router, edges[0], claimantsOf(entry));
        if (unread) next.set(edges[0].id, unread);
        continue;
      }
      const handover = router.options.routerHandover === true;
      const served = servedAmong(st, router, edges);
      const hex = st.sockets.get(edges[0].from)!.routingHex!;
      for (const edge of edges) {
        next.set(edge.id, { with: edges.filter((e) => e !== edge).map((e) => e.id), serves: edge === served, handover, since: edge.phaseAt });
      }
      if (served) servePeer(st, routerId, hex, served);
    }
  }
  for (const [id, clash] of st.clashes) {
    if (next.has(id) || clash.serves || clash.handover) continue;
    const edge = st.edges.get(id);
    // Only this connection has the id now: a read of it since is this connection's, so it is served.
    if (clash.unread && edge && readSince(st, edge, clash.since)) continue;
    if (edge && edge.phase === 'up' && edge.phaseAt === clash.since && !edgeExited(st, edge)) {
      next.set(id, { ...clash, with: clash.with.filter((other) => st.edges.has(other)) });
    }
  }
  for (const id of st.clashes.keys()) if (!sameClash(st.clashes.get(id), next.get(id))) st.dirtyEdges.add(id);
  for (const id of next.keys()) if (!st.clashes.has(id)) st.dirtyEdges.add(id);
  st.clashes = next;
}

/**
 * Which of a routing id's connections into `router` the ROUTER serves (for its records about that id);
 * none up: the first given (claimants come live ones first).
 */
export function servedEdge(st: StoreState, router: SocketRec, edges: readonly EdgeRec[]): EdgeRec {
  return edges.length === 1 ? edges[0] : servedAmong(st, router, edges) ?? edges[0];
}

/**
 * Of the connections up now and not refused before, the first to connect, or the latest with
 * handover (libzmq's order is the handshakes'; the connecting ends' stamps are the nearest the store
 * has). A connection refused before stays refused even when the id is free again: a newer one takes it.
 */
function servedAmong(st: StoreState, router: SocketRec, edges: readonly EdgeRec[]): EdgeRec | undefined {
  const up = edges.filter((e) => e.phase === 'up' && !edgeExited(st, e) && !stillRefused(st, e)).sort((a, b) => a.phaseAt - b.phaseAt || (a.id < b.id ? -1 : 1));
  return router.options.routerHandover === true ? up[up.length - 1] : up[0];
}

function stillRefused(st: StoreState, edge: EdgeRec): boolean {
  const clash = st.clashes.get(edge.id);
  return clash !== undefined && !clash.serves && !clash.handover && clash.since === edge.phaseAt;
}

/**
 * A connection the ROUTER does not read though no other with its routing id is up now: a worker that
 * connected its new socket and closed the old one at once. libzmq frees the old connection's id only
 * when the ROUTER processes that connection's end, which can come after the new one's routing id; the
 * new one is then refused, and never read. Both monitors say connected, so the sign is the ROUTER's
 * silence: its agent spoke a while after the connector sent, and had read nothing of that id since
 * the connection came up.
 */
function refusedUnread(st: StoreState, router: SocketRec, edge: EdgeRec, claimants: readonly SocketRec[]): ClashRec | undefined {
  if (router.options.routerHandover === true) return undefined;
  const from = st.sockets.get(edge.from);
  const node = st.nodes.get(router.nodeId);
  if (!from || from.sentAt === undefined || from.sentAt <= edge.phaseAt || allConnectEdgeIds(from).length !== 1) return undefined;
  if (!node || node.unknown || node.exitedAt !== undefined || node.lastSeenAt < from.sentAt + UNREAD_AFTER_MS) return undefined;
  if (readSince(st, edge, edge.phaseAt)) return undefined;
  const others = claimants.flatMap((s) => (s === from ? [] : allConnectEdgeIds(s).filter((id) => st.edges.get(id)?.to === router.id)));
  return others.length === 0 ? undefined : { with: others, serves: false, handover: false, since: edge.phaseAt, unread: true };
}

/** Whether the ROUTER has read anything from the edge's routing id since `since`. */
function readSince(st: StoreState, edge: EdgeRec, since: number): boolean {
  const hex = st.sockets.get(edge.from)?.routingHex;
  const readAt = hex === undefined ? undefined : st.sockets.get(edge.to)?.peers?.get(hex)?.readAt;
  return readAt !== undefined && readAt >= since;
}

/** One socket with two connections (two endpoints of one ROUTER) clashes with itself. */
function claimantConnectsTwice(socket: SocketRec | undefined): boolean {
  return socket !== undefined && allConnectEdgeIds(socket).length > 1;
}

/** The claimants' connections that are up now, by the ROUTER they reach. */
function liveEdgesByRouter(st: StoreState, claimants: readonly SocketRec[]): Map<string, EdgeRec[]> {
  const byRouter = new Map<string, EdgeRec[]>();
  for (const socket of claimants) {
    if (socket.closed || socket.unknown) continue;
    for (const id of allConnectEdgeIds(socket)) {
      const edge = st.edges.get(id);
      if (!edge || edge.phase !== 'up' || st.sockets.get(edge.to)?.type !== 'ROUTER' || edgeExited(st, edge)) continue;
      const list = byRouter.get(edge.to);
      if (list) list.push(edge);
      else byRouter.set(edge.to, [edge]);
    }
  }
  return byRouter;
}

/** What the ROUTER reports about this routing id belongs to the connection it serves. */
function servePeer(st: StoreState, routerId: string, hex: string, served: EdgeRec): void {
  const peer = st.sockets.get(routerId)?.peers?.get(hex);
  if (!peer || peer.edgeId === served.id) return;
  const before = peer.edgeId === undefined ? undefined : st.edges.get(peer.edgeId);
  if (before?.routingHex === hex && st.sockets.get(before.from)?.routingHex !== hex) before.routingHex = undefined;
  peer.edgeId = served.id;
  peer.how = 'routing-id';
  served.routingHex = hex;
  served.attribution = 'routing-id';
  if (before) st.dirtyEdges.add(before.id);
  st.dirtyEdges.add(served.id);
}

function sameClash(a: ClashRec | undefined, b: ClashRec | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.serves === b.serves && a.handover === b.handover && a.with.length === b.with.length && a.with.every((id, k) => b.with[k] === id);
}
