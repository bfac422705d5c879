/**
 * Peers without an agent on a bound socket. A PUB, PUSH or bound DEALER gives no sign of who is
 * connected to it: there are no routing ids, and a process without an agent reports nothing. The
 * socket's agent counts the connections it accepted that are still open (MonitorEventMsg.accepted,
 * SnapshotSocket.accepted); those the live edges of instrumented peers do not account for are drawn as
 * one edge per bound endpoint from a "peers without an agent" node, carrying their number
 * (EdgeView.connections). On a ROUTER the same holds for peers that have not said anything yet (one
 * that has is an "unknown peer R" edge of its own, counted as accounted for).
 */
import { sameEndpoint } from '../endpoints';
import { REASONS } from '../rules';
import { addTimeline, disconnectEdge, dropOrphans, edgeId, ensureEdge, removeEdge, setPhase, syntheticSocket } from './graph';
import { edgeExited } from './liveness';
import type { KernelPeer } from '../../shared/snapshot';
import { bindDisplay, type EdgeRec, type SocketRec } from './records';
import type { StoreState } from './state';

/**
 * How long a count of connections no edge explains must hold unchanged before it is drawn: an
 * instrumented peer's telemetry (its socket, its connect, its handshake) reaches the collector a few
 * hundred ms after the binder's agent saw the accept, and a loaded machine stretches that to seconds
 * (980 DEALERs connecting at once on 2 cores: while they came in, a count that had only stayed above
 * zero for 1.5 s was drawn, and left a placeholder beside a fully instrumented system). Drawn at the
 * first input after it (agents flush every 200 ms and beat every second).
 */
export const UNSEEN_GRACE_MS = 3000;

const UNSEEN_PREFIX = '?unseen:';

/** What is known and drawn of one bound socket's accepted connections. */
export interface AcceptedRec {
  /** Bound address (as the monitor names it) → connections accepted there and open, the agent's count. */
  open: Map<string, number>;
  /** Bound endpoint (the edge's) → what its edge of peers without an agent shows. */
  drawn: Map<string, DrawnRec>;
}

interface DrawnRec {
  /** Connections the edge stands for now. */
  shown: number;
  /** While more are counted than shown: since when that count has held. */
  risingSince: number | undefined;
  /** The count at the latest input that settled it. */
  last: number;
}

const unseenNodeId = (socket: SocketRec): string => `${UNSEEN_PREFIX}${socket.id}`;

/** Whether an edge is the one of a socket's peers without an agent (its count decides its state, not monitor events). */
export function isUnseenEdge(edge: EdgeRec): boolean {
  return edge.from.startsWith(UNSEEN_PREFIX);
}

/** How many connections the edge of a socket's peers without an agent stands for now (EdgeView.connections). */
export function unseenConnectionsOf(st: StoreState, edge: EdgeRec): number {
  return st.accepted.get(edge.to)?.drawn.get(edge.endpoint)?.shown ?? 0;
}

/** The agent's count of connections accepted on `address` and open (from an `accept` or `disconnect` event). */
export function acceptedCount(st: StoreState, socket: SocketRec, address: string, open: number): void {
  acceptedRec(st, socket).open.set(address, open);
  st.unseenDirty.add(socket.id);
}

/** The agent's counts in a snapshot: every address it does not list has none open. */
export function acceptedCounts(st: StoreState, socket: SocketRec, counts: readonly { address: string; open: number }[]): void {
  const rec = acceptedRec(st, socket);
  rec.open.clear();
  for (const { address, open } of counts) rec.open.set(address, (rec.open.get(address) ?? 0) + open);
  st.unseenDirty.add(socket.id);
}

/**
 * The socket's agent no longer counts (its monitor ended: the socket closed, or the app's own monitor
 * replaced the agent's): what was drawn from its counts goes, rather than stand for connections that
 * may have gone since.
 */
export function forgetAccepted(st: StoreState, socket: SocketRec): void {
  const rec = st.accepted.get(socket.id);
  if (!rec) return;
  st.accepted.delete(socket.id);
  st.unseenPending.delete(socket.id);
  const from = `${unseenNodeId(socket)}/0`; // syntheticSocket's id for the node
  for (const endpoint of rec.drawn.keys()) removeEdge(st, edgeId(from, socket.id, endpoint));
  dropOrphans(st);
}

function acceptedRec(st: StoreState, socket: SocketRec): AcceptedRec {
  let rec = st.accepted.get(socket.id);
  if (!rec) st.accepted.set(socket.id, (rec = { open: new Map(), drawn: new Map() }));
  return rec;
}

/** Connections the number of live edges on `endpoint` leaves unexplained (an unseen edge is no explanation). */
export function unexplainedConnections(st: StoreState, socket: SocketRec, endpoint: string, open: number): number {
  let known = 0;
  for (const [bound, edges] of socket.boundEdges ?? []) {
    if (!sameEndpoint(bound, endpoint)) continue;
    for (const edge of edges) if (edge.phase === 'up' && !isUnseenEdge(edge) && !edgeExited(st, edge)) known++;
  }
  return Math.max(0, open - known);
}

/**
 * After each input (at its arrival): the bound sockets whose unexplained connections may have changed
 * (their counts, or a bound edge's phase: st.unseenDirty) or whose grace period is over, onto their
 * edges of peers without an agent. Decided by inputs alone, never by the sweep timer, so a replay,
 * which applies the same inputs at the same instants, draws the same (docs/ARCHITECTURE.md invariant 7).
 */
export function settleUnseen(st: StoreState, at: number): void {
  if (st.unseenDirty.size === 0 && st.unseenPending.size === 0) return;
  const due: string[] = [];
  for (const [socketId, dueAt] of st.unseenPending) if (dueAt <= at && !st.unseenDirty.has(socketId)) due.push(socketId);
  for (const socketId of [...st.unseenDirty, ...due]) settleSocket(st, socketId, at);
  st.unseenDirty.clear();
}

function settleSocket(st: StoreState, socketId: string, now: number): void {
  st.unseenPending.delete(socketId);
  const rec = st.accepted.get(socketId);
  if (!rec) return;
  const socket = st.sockets.get(socketId);
  if (!socket) {
    st.accepted.delete(socketId); // its edges went with it
    return;
  }
  const gone = socket.closed || st.nodes.get(socket.nodeId)?.exitedAt !== undefined;
  const totals = new Map<string, number>();
  for (const [address, open] of rec.open) {
    const endpoint = boundEndpoint(socket, address);
    totals.set(endpoint, (totals.get(endpoint) ?? 0) + open);
  }
  for (const endpoint of rec.drawn.keys()) if (!totals.has(endpoint)) totals.set(endpoint, 0);
  let dueAt = Infinity;
  for (const [endpoint, open] of totals) {
    let drawn = rec.drawn.get(endpoint);
    const unexplained = gone ? 0 : unexplainedConnections(st, socket, endpoint, open);
    if (!drawn) {
      if (unexplained === 0) continue;
      rec.drawn.set(endpoint, (drawn = { shown: 0, risingSince: undefined, last: 0 }));
    }
    const shown = nextShown(drawn, unexplained, now);
    if (shown !== drawn.shown) draw(st, socket, endpoint, drawn, shown, now);
    if (drawn.risingSince !== undefined) dueAt = Math.min(dueAt, drawn.risingSince + UNSEEN_GRACE_MS);
  }
  if (dueAt !== Infinity) st.unseenPending.set(socketId, dueAt);
}

/**
 * What to draw: fewer connections at once; more only once that count has held unchanged for
 * UNSEEN_GRACE_MS. While connections come and go (instrumented peers connecting, their telemetry
 * arriving), the count moves, and nothing more is drawn until it settles.
 */
function nextShown(drawn: DrawnRec, unexplained: number, now: number): number {
  const changed = unexplained !== drawn.last;
  drawn.last = unexplained;
  if (unexplained <= drawn.shown) {
    drawn.risingSince = undefined;
    return unexplained;
  }
  if (drawn.risingSince === undefined || changed) drawn.risingSince = now;
  if (now - drawn.risingSince < UNSEEN_GRACE_MS) return drawn.shown;
  drawn.risingSince = undefined;
  return unexplained;
}

function draw(st: StoreState, socket: SocketRec, endpoint: string, drawn: DrawnRec, shown: number, now: number): void {
  const host = st.nodes.get(socket.nodeId)?.host ?? '';
  const from = syntheticSocket(st, unseenNodeId(socket), 'peers without an agent', host, undefined, []);
  const edge = from && ensureEdge(st, from, socket, endpoint);
  if (!edge) return;
  const before = drawn.shown;
  drawn.shown = shown;
  edge.touched = true;
  st.dirtyEdges.add(edge.id);
  const detail = `${shown} open without an agent`;
  if (shown > before) {
    addTimeline(st, edge, { at: now, event: 'accept', detail });
    if (edge.phase !== 'up') setPhase(st, edge, 'up', now);
  } else {
    addTimeline(st, edge, { at: now, event: 'disconnect', detail });
    if (shown === 0) disconnectEdge(st, edge.id, REASONS.disconnectEvent, null, now);
  }
}

/** The bound endpoint an accepted connection's address belongs to (the edges' endpoint), else the address. */
function boundEndpoint(socket: SocketRec, address: string): string {
  const bind = socket.binds.find((b) => sameEndpoint(bindDisplay(b), address));
  return bind ? bindDisplay(bind) : address;
}

/** An edge of peers without an agent, with what the host needs to look its connections up. */
export interface EdgeWithoutAgent {
  edgeId: string;
  /** The bound endpoint the connections came in on. */
  endpoint: string;
  /** The binder's host and pid. */
  host: string;
  pid: number;
  connections: number;
}

export function edgesWithoutAgent(st: StoreState): EdgeWithoutAgent[] {
  const out: EdgeWithoutAgent[] = [];
  for (const edge of st.edges.values()) {
    if (!isUnseenEdge(edge)) continue;
    const socket = st.sockets.get(edge.to);
    const node = socket === undefined ? undefined : st.nodes.get(socket.nodeId);
    if (node) out.push({ edgeId: edge.id, endpoint: edge.endpoint, host: node.host, pid: node.pid, connections: unseenConnectionsOf(st, edge) });
  }
  return out;
}

/** The pids of the processes on `host` that have an agent and have not exited (an exited one's pid may be reused). */
export function processesWithAgent(st: StoreState, host: string): number[] {
  const pids: number[] = [];
  for (const node of st.nodes.values()) if (!node.unknown && node.exitedAt === undefined && node.host === host) pids.push(node.pid);
  return pids;
}

/** Every edge's processes from the host's kernel table, replacing what was set before; edges left out have none. */
export function setKernelPeers(st: StoreState, found: ReadonlyMap<string, KernelPeer[]>): boolean {
  let any = false;
  for (const id of [...st.kernelPeers.keys()]) {
    if (found.has(id)) continue;
    st.kernelPeers.delete(id);
    st.dirtyEdges.add(id);
    any = true;
  }
  for (const [id, peers] of found) {
    if (!st.edges.has(id) || JSON.stringify(st.kernelPeers.get(id)) === JSON.stringify(peers)) continue;
    st.kernelPeers.set(id, peers);
    st.dirtyEdges.add(id);
    any = true;
  }
  return any;
}
