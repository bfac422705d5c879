/** Liveness: the state an edge or a node is in now, from its phase and the age of its last stamps (rules.ts). */
import { edgeState, livenessAge } from '../rules';
import type { EdgeState, NodeState } from '../../shared/snapshot';
import type { EdgeRec, NodeRec } from './records';
import type { StoreState } from './state';

export function edgeStateNow(st: StoreState, edge: EdgeRec, now: number, exited = edgeExited(st, edge)): EdgeState {
  return edgeStateOfAge(st, edge, exited, edgeLivenessAge(st, edge, now));
}

/** The state for a liveness age already taken (the sweep needs both). */
export function edgeStateOfAge(st: StoreState, edge: EdgeRec, exited: boolean, age: number | null): EdgeState {
  return edgeState(edge.phase, exited, age, edge.lastHeartbeat !== undefined, st.options);
}

/** rules.ts livenessAge for an edge: its ends' options say whether libzmq heartbeats it. */
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
