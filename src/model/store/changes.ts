/**
 * Diff tracking: what changed since the last diff (the dirty and removed sets on StoreState), and
 * the throttle that turns it into at most one diff per notifyIntervalMs (sooner when urgent).
 */
import { edgeState, livenessAge, rateOf } from '../rules';
import type { EdgeView, NodeView, SocketView, TopologyDiff } from '../../shared/snapshot';
import { edgeExited, nodeState } from './liveness';
import { resolveIfDirty } from './resolution';
import type { StoreState } from './state';
import { collectorView, edgeView, nodeView, socketView } from './views';

/**
 * The shortest gap between two diffs when one carries a connection going down or late, or a process
 * exiting: sent at once rather than after the ordinary throttle (notifyIntervalMs), yet a burst of
 * exits still makes at most one diff per this many ms.
 */
const URGENT_NOTIFY_MS = 20;
/** A lastSeenAt change alone puts a node in a diff at most this often. */
const LAST_SEEN_RESOLUTION_MS = 1000;

export function changed(st: StoreState): void {
  if (st.listeners.size > 0) scheduleNotify(st);
}

export function scheduleNotify(st: StoreState): void {
  const now = st.now();
  const interval = st.urgentChange ? Math.min(URGENT_NOTIFY_MS, st.options.notifyIntervalMs) : st.options.notifyIntervalMs;
  const dueAt = Math.max(now, st.lastNotifyAt + interval);
  if (st.notifyTimer) {
    if (dueAt >= st.notifyDueAt) return;
    clearTimeout(st.notifyTimer);
  }
  st.notifyDueAt = dueAt;
  st.notifyTimer = setTimeout(() => notify(st), dueAt - now);
  st.notifyTimer.unref();
}

export function forgetChanges(st: StoreState): void {
  for (const set of [st.dirtyNodes, st.dirtySockets, st.dirtyEdges, st.removedNodes, st.removedSockets, st.removedEdges]) set.clear();
  st.collectorDirty = false;
}

function notify(st: StoreState): void {
  st.notifyTimer = undefined;
  st.notifyDueAt = Infinity;
  const urgent = st.urgentChange;
  st.urgentChange = false;
  resolveIfDirty(st);
  const now = st.now();
  st.lastNotifyAt = now;
  const diff: TopologyDiff = { takenAt: now };
  const nodes: NodeView[] = [];
  for (const node of st.nodes.values()) {
    const state = nodeState(st, node, now);
    if (st.dirtyNodes.has(node.id) || state !== node.sentState || node.lastSeenAt - node.sentLastSeenAt >= LAST_SEEN_RESOLUTION_MS) {
      node.sentState = state;
      node.sentLastSeenAt = node.lastSeenAt;
      nodes.push(nodeView(st, node, now));
    }
  }
  const sockets: SocketView[] = [];
  for (const id of st.dirtySockets) {
    const socket = st.sockets.get(id);
    if (socket) sockets.push(socketView(socket));
  }
  const edges: EdgeView[] = [];
  for (const edge of st.edges.values()) {
    // What changes with the clock, without building the view: most edges are unchanged between diffs.
    const exited = edgeExited(st, edge);
    const state = edgeState(edge.phase, exited, livenessAge(now, edge.lastHeartbeat, edge.lastMessage), st.options);
    const [out, inbound] = rateOf(edge.rates, now);
    const storm = edge.retries?.storm(now) ?? false;
    const same = edge.sentState === state && edge.sentHeartbeatAt === edge.lastHeartbeat && edge.sentMessageAt === edge.lastMessage &&
      edge.sentOut === out && edge.sentIn === inbound && edge.sentStorm === storm;
    if (same && !st.dirtyEdges.has(edge.id)) continue;
    edge.sentState = state;
    edge.sentHeartbeatAt = edge.lastHeartbeat;
    edge.sentMessageAt = edge.lastMessage;
    edge.sentOut = out;
    edge.sentIn = inbound;
    edge.sentStorm = storm;
    edges.push(edgeView(st, edge, now, exited));
  }
  if (nodes.length) diff.nodes = nodes;
  if (sockets.length) diff.sockets = sockets;
  if (edges.length) diff.edges = edges;
  if (st.removedNodes.size) diff.removedNodes = [...st.removedNodes];
  if (st.removedSockets.size) diff.removedSockets = [...st.removedSockets];
  if (st.removedEdges.size) diff.removedEdges = [...st.removedEdges];
  const collector = st.collectorDirty ? collectorView(st) : undefined;
  if (collector) diff.collector = collector;
  forgetChanges(st);
  if (Object.keys(diff).length === 1) return;
  if (urgent) diff.urgent = true;
  for (const listener of [...st.listeners]) {
    try {
      listener(diff);
    } catch {
      // A failing view must not stop the others from hearing about changes.
    }
  }
}
