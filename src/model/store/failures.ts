/**
 * Endpoint calls the app made that failed (a bind to a port another process holds, a connect to a
 * malformed endpoint): kept on their socket until the same call succeeds, because the app may have
 * swallowed the error, and a socket with no bind and no word why is the puzzle this tool is for.
 */
import { LIMITS, type EndpointFailureState, type EndpointMsg } from '../../protocol/types';
import type { EndpointFailure } from '../../shared/snapshot';
import { matchKeys } from '../endpoints';
import { bindDisplay, intern, type SocketRec } from './records';
import type { StoreState } from './state';

/** A failed call, kept with the latest LIMITS.failuresPerSocket (an app retrying many endpoints must not grow the list). */
export function endpointFailed(st: StoreState, socket: SocketRec, msg: EndpointMsg, at: number): void {
  const list = socket.failed ?? [];
  const earlier = list.find((f) => f.op === msg.op && f.endpoint === msg.requested);
  // Already counted: the agent's snapshot carried it (a failure queued while no collector listened).
  if (earlier && at <= (socket.failedInSnapshotAt ?? -Infinity)) return;
  const heldBy = msg.op === 'bind' ? holderOf(st, socket, msg.requested) : undefined;
  const failure: EndpointFailure = {
    op: msg.op, endpoint: msg.requested, error: intern(msg.error ?? 'failed (the agent gave no error text)'), at,
    times: (earlier?.times ?? 0) + 1,
    ...(heldBy !== undefined ? { heldBy } : {}),
  };
  socket.failed = [...list.filter((f) => f !== earlier).slice(-(LIMITS.failuresPerSocket - 1)), failure];
  st.dirtySockets.add(socket.id);
}

/** What the agent's snapshot says failed (its state replaces the store's: the agent saw every call). */
export function failuresFromSnapshot(st: StoreState, socket: SocketRec, list: readonly EndpointFailureState[] | undefined, clock: (t: number) => number): void {
  const before = socket.failed;
  if (before === undefined && (list === undefined || list.length === 0)) return; // most sockets: no field added
  socket.failed = list && list.length > 0
    ? list.slice(-LIMITS.failuresPerSocket).map((f) => {
      const heldBy = f.op === 'bind' ? holderOf(st, socket, f.requested) : undefined;
      return { op: f.op, endpoint: f.requested, error: intern(f.error), at: clock(f.at), times: f.times, ...(heldBy !== undefined ? { heldBy } : {}) };
    })
    : undefined;
  socket.failedInSnapshotAt = socket.failed ? Math.max(...socket.failed.map((f) => f.at)) : undefined;
  st.dirtySockets.add(socket.id);
}

/** The same call succeeded (an app that retried until the port was free): its failure is history. */
export function endpointSucceeded(st: StoreState, socket: SocketRec, msg: EndpointMsg): void {
  const list = socket.failed;
  if (!list) return;
  const kept = list.filter((f) => !(f.op === msg.op && f.endpoint === msg.requested));
  if (kept.length === list.length) return;
  socket.failed = kept.length > 0 ? kept : undefined;
  st.dirtySockets.add(socket.id);
}

/** An open socket of a live process on `socket`'s host (this process included) that binds `endpoint`. */
function holderOf(st: StoreState, socket: SocketRec, endpoint: string): string | undefined {
  const node = st.nodes.get(socket.nodeId);
  if (!node) return undefined;
  const keys = matchKeys(endpoint, node.host, node.id);
  if (keys.length === 0) return undefined;
  for (const other of st.sockets.values()) {
    if (other === socket || other.unknown || other.closed || other.binds.length === 0) continue;
    const owner = st.nodes.get(other.nodeId);
    if (!owner || owner.exitedAt !== undefined) continue;
    for (const bind of other.binds) {
      if (matchKeys(bindDisplay(bind), owner.host, owner.id).some((k) => keys.includes(k))) return other.id;
    }
  }
  return undefined;
}
