/** Liveness: the state an edge or a node is in now, from its phase and the age of its last stamps (rules.ts). */
import { edgeState, livenessAge } from '../rules';
import type { EdgeState, NodeState } from '../../shared/snapshot';
import type { EdgeRec, NodeRec } from './records';
import type { StoreState } from './state';

/** An edge's state now: judged as of what its ends' agents had seen when they last wrote (edgeJudgedAt). */
export function edgeStateNow(st: StoreState, edge: EdgeRec, now: number, exited = edgeExited(st, edge)): EdgeState {
  return edgeStateAt(st, edge, edgeJudgedAt(st, edge, now), exited);
}

/** An edge's state at a moment on the collector's clock that is already as of the agents' word (an event's stamp). */
export function edgeStateAt(st: StoreState, edge: EdgeRec, at: number, exited = edgeExited(st, edge)): EdgeState {
  return edgeStateOfAge(st, edge, exited, edgeLivenessAge(st, edge, at));
}

/**
 * The moment the edge's ages are taken at: now, less how late the fresher of its ends' telemetry arrives
 * (NodeRec.lagMs). A collector working through seconds of backlog would otherwise read every heartbeat
 * in it as seconds old, and flap each edge late and back as it caught up: it judges what it knows as
 * of when it was true. An agent that stops writing is not excused: its lag stays what it last was.
 */
export function edgeJudgedAt(st: StoreState, edge: EdgeRec, now: number): number {
  let lag = Math.min(lagOf(st, edge.from), lagOf(st, edge.to));
  if (lag === Infinity) lag = 0;
  // The store stood still: what the agents wrote meanwhile is not read yet (sweep.ts timedSweep).
  const stall = st.stall;
  if (stall !== undefined && now <= stall.clearBy) lag = Math.max(lag, stall.ms);
  return now - lag;
}

function lagOf(st: StoreState, socketId: string): number {
  const socket = st.sockets.get(socketId);
  const node = socket === undefined ? undefined : st.nodes.get(socket.nodeId);
  return node === undefined || node.unknown ? Infinity : node.lagMs;
}

/** The state for a liveness age already taken (the sweep needs both). */
export function edgeStateOfAge(st: StoreState, edge: EdgeRec, exited: boolean, age: number | null): EdgeState {
  return edgeState(edge.phase, exited, age, edge.lastHeartbeat !== undefined, st.options);
}

/** rules.ts livenessAge for an edge at `at` (edgeJudgedAt): its ends' options say whether libzmq heartbeats it. */
export function edgeLivenessAge(st: StoreState, edge: EdgeRec, now: number): number | null {
  return livenessAge(now, edge.lastHeartbeat, edge.lastMessage, edge.lastHeartbeat === undefined && zmtpHeartbeats(st, edge));
}

/** Whether either end set ZMQ_HEARTBEAT_IVL: libzmq then pings and drops the connection itself. */
export function zmtpHeartbeats(st: StoreState, edge: EdgeRec): boolean {
  return (st.sockets.get(edge.from)?.options.heartbeatIvl ?? 0) > 0 || (st.sockets.get(edge.to)?.options.heartbeatIvl ?? 0) > 0;
}

export function edgeExited(st: StoreState, edge: EdgeRec): boolean {
  const exited = (socketId: string) => {
    const socket = st.sockets.get(socketId);
    return socket !== undefined && st.nodes.get(socket.nodeId)?.exitedAt !== undefined;
  };
  return exited(edge.from) || exited(edge.to);
}

export function nodeState(st: StoreState, node: NodeRec, now: number): NodeState {
  if (node.exitedAt !== undefined) return 'exited';
  if (!node.unknown && now - node.lastSeenAt > st.options.deadAfterMs) return 'stale';
  return 'live';
}
