/**
 * Diff tracking: what changed since the last diff (the dirty and removed sets on StoreState), and
 * the throttle that turns it into at most one diff per notifyIntervalMs (sooner when urgent).
 */
import type { EdgeState, EdgeView, NodeView, SocketView, TopologyDiff } from '../../shared/snapshot';
import type { EdgeRec } from './records';
import { edgeExited, edgeStateNow, nodeState } from './liveness';
import { resolveEdges } from './resolution';
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
/** Over the traffic budget, a changed rate counts as this much staleness (stamps count their own ms). */
const RATE_CHANGE_WEIGHT_MS = 500;

interface TrafficUpdate {
  edge: EdgeRec;
  state: EdgeState;
  out: number;
  inbound: number;
  storm: boolean;
  exited: boolean;
  /** How far behind the consumer's picture is: ms its stamps are older than the edge's, plus rate news. */
  staleness: number;
}

/** How many ms `latest` is after `sent` (Infinity when never sent, 0 when nothing new). */
function ahead(latest: number | undefined, sent: number | undefined): number {
  if (latest === undefined) return 0;
  if (sent === undefined) return Infinity;
  return Math.max(0, latest - sent);
}

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
  for (const set of [st.dirtyNodes, st.dirtySockets, st.dirtyEdges, st.trafficEdges, st.removedNodes, st.removedSockets, st.removedEdges]) set.clear();
  st.collectorDirty = false;
}

function notify(st: StoreState): void {
  st.notifyTimer = undefined;
  st.notifyDueAt = Infinity;
  const urgent = st.urgentChange;
  st.urgentChange = false;
  resolveEdges(st);
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
  const send = (edge: EdgeRec, state: EdgeState, out: number, inbound: number, storm: boolean, exited: boolean): void => {
    edge.sentState = state;
    edge.sentHeartbeatAt = edge.lastHeartbeat;
    edge.sentMessageAt = edge.lastMessage;
    edge.sentOut = out;
    edge.sentIn = inbound;
    edge.sentStorm = storm;
    edges.push(edgeView(st, edge, now, exited));
  };
  // Most processes never exit while watched: then no edge needs the two lookups per end.
  let anyExited = false;
  for (const node of st.nodes.values()) if (node.exitedAt !== undefined) anyExited = true;
  const traffic: TrafficUpdate[] = [];
  for (const edge of st.edges.values()) {
    // What changes with the clock, without building the view: most edges are unchanged between diffs.
    const exited = anyExited && edgeExited(st, edge);
    const state = edgeStateNow(st, edge, now, exited);
    const [out, inbound] = st.rates.rateOf(edge.rates, now);
    const storm = edge.retries?.storm(now) ?? false;
    if (st.dirtyEdges.has(edge.id) || edge.sentState !== state || edge.sentStorm !== storm) {
      send(edge, state, out, inbound, storm, exited);
      continue;
    }
    const staleness = Math.max(ahead(edge.lastHeartbeat, edge.sentHeartbeatAt), ahead(edge.lastMessage, edge.sentMessageAt)) +
      (edge.sentOut !== out || edge.sentIn !== inbound ? RATE_CHANGE_WEIGHT_MS : 0);
    if (staleness > 0 || st.trafficEdges.has(edge.id)) traffic.push({ edge, state, out, inbound, storm, exited, staleness });
  }
  const budget = st.limits.trafficUpdatesPerDiff;
  if (traffic.length > budget) traffic.sort((a, b) => b.staleness - a.staleness);
  for (const t of traffic.slice(0, budget)) send(t.edge, t.state, t.out, t.inbound, t.storm, t.exited);
  // Held back: new counts are remembered for the next diff (stamps and rates are found by comparison again).
  const heldCounts = traffic.slice(budget).filter((t) => st.trafficEdges.has(t.edge.id)).map((t) => t.edge.id);
  if (nodes.length) diff.nodes = nodes;
  if (sockets.length) diff.sockets = sockets;
  if (edges.length) diff.edges = edges;
  if (st.removedNodes.size) diff.removedNodes = [...st.removedNodes];
  if (st.removedSockets.size) diff.removedSockets = [...st.removedSockets];
  if (st.removedEdges.size) diff.removedEdges = [...st.removedEdges];
  const collector = st.collectorDirty ? collectorView(st) : undefined;
  if (collector) diff.collector = collector;
  forgetChanges(st);
  for (const id of heldCounts) st.trafficEdges.add(id);
  if (traffic.length > budget) scheduleNotify(st);
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
