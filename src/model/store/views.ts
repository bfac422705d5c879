/** Views: the records as docs/SNAPSHOT.md shows them (snapshots and diffs). */
import type { CollectorStatus, EdgeView, NodeView, SocketView } from '../../shared/snapshot';
import { binOfHex } from '../../protocol/bin';
import { bindDisplay, timelineEntries, type EdgeRec, type NodeRec, type SocketRec } from './records';
import { refusedTypes } from './graph';
import { edgeExited, edgeJudgedAt, edgeStateAt, nodeState } from './liveness';
import { isUnseenEdge, unseenConnectionsOf } from './unseen';
import type { StoreState } from './state';

export function collectorView(st: StoreState): CollectorStatus | undefined {
  const discarded = Object.keys(st.discarded).length > 0 ? { discarded: { ...st.discarded } } : {};
  if (!st.collector) return Object.keys(discarded).length ? { endpoint: '', listening: false, malformed: {}, agents: 0, ...discarded } : undefined;
  return { ...st.collector, malformed: { ...st.collector.malformed }, ...discarded };
}

/** Telemetry later than this is worth saying so (NodeView.behindMs); below, it is delivery's jitter. */
const BEHIND_SHOWN_MS = 1000;

export function nodeView(st: StoreState, node: NodeRec, now: number): NodeView {
  return {
    id: node.id, pid: node.pid, host: node.host, name: node.name, title: node.title, runtime: node.runtime, agent: node.agent,
    state: nodeState(st, node, now),
    ...(node.probe ? { probe: true } : {}),
    ...(node.unknown ? { unknown: true } : {}),
    startedAt: node.startedAt, lastSeenAt: node.lastSeenAt,
    ...(node.exitedAt !== undefined ? { exitedAt: node.exitedAt } : {}),
    dropped: node.dropped, ...(node.missed > 0 ? { missed: node.missed } : {}), malformed: node.malformed,
    ...(node.lagMs >= BEHIND_SHOWN_MS ? { behindMs: node.lagMs } : {}),
  };
}

export function socketView(socket: SocketRec): SocketView {
  return {
    id: socket.id, nodeId: socket.nodeId, type: socket.type,
    ...(socket.name !== undefined ? { name: socket.name } : {}),
    ...(socket.routingHex !== undefined ? { routingId: binOfHex(socket.routingHex) } : {}),
    options: socket.options,
    ...(socket.site ? { site: socket.site } : {}),
    ...(socket.proxied ? { proxied: true } : {}),
    ...(socket.failed ? { failed: socket.failed.slice() } : {}),
    binds: socket.binds.map(bindDisplay),
    connects: socket.connects.map(bindDisplay),
    closed: socket.closed,
    ...(socket.unknown ? { unknown: true } : {}),
  };
}

export function edgeView(st: StoreState, edge: EdgeRec, now: number, exited = edgeExited(st, edge)): EdgeView {
  // Ages as of what the ends' agents had seen when they wrote, as the state is (liveness.ts edgeJudgedAt).
  const judgedAt = edgeJudgedAt(st, edge, now);
  const heartbeatAgeMs = edge.lastHeartbeat === undefined ? null : Math.max(0, judgedAt - edge.lastHeartbeat);
  const trafficAgeMs = edge.lastMessage === undefined ? null : Math.max(0, judgedAt - edge.lastMessage);
  const [out, inbound] = st.rates.rateOf(edge.rates, now);
  const messageTypes: [string, number][] = [];
  const types = edge.types ?? [];
  for (let k = 0; k < types.length; k += 2) messageTypes.push([types[k] as string, types[k + 1] as number]);
  const view: EdgeView = {
    id: edge.id, from: edge.from, to: edge.to, endpoint: edge.endpoint,
    ...(edge.routingHex !== undefined ? { routingId: binOfHex(edge.routingHex) } : {}),
    ...(edge.attribution ? { attribution: edge.attribution } : {}),
    state: edgeStateAt(st, edge, judgedAt, exited),
    heartbeatAgeMs, trafficAgeMs,
    rates: { out, in: inbound },
    // fromEntries defines own properties, so a type named "__proto__" stays a plain key.
    messageTypes: Object.fromEntries(messageTypes),
    lastDisconnect: edge.lastDisconnect,
    retryStorm: edge.retries?.storm(now) ?? false,
    timeline: timelineEntries(edge),
  };
  if (exited) view.exited = true;
  const incompatible = refusedTypes(st, edge);
  if (incompatible) view.incompatible = incompatible;
  // A ROUTER's peer made up from its sends alone: nothing ever arrived from it (arrivals make an edge up).
  if (edge.phase === 'connecting' && edge.lastMessage !== undefined && st.sockets.get(edge.from)?.unknown === true) view.unheard = true;
  if (isUnseenEdge(edge)) {
    view.connections = unseenConnectionsOf(st, edge);
    const peers = st.kernelPeers.get(edge.id);
    if (peers) view.kernelPeers = peers;
  }
  const clash = st.clashes.get(edge.id);
  if (clash) view.routingIdClash = { with: clash.with.filter((id) => st.edges.has(id)), serves: clash.serves, handover: clash.handover };
  return view;
}
