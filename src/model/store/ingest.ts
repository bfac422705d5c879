/**
 * Ingest: each telemetry message (docs/PROTOCOL.md) stored as the facts it carries. Agent times
 * become collector times through the agent's clock offset, capped at the arrival.
 */
import { binLabel } from '../../protocol/bin';
import type {
  Bin, DisconnectMsgMsg, EndpointMsg, HelloMsg, MonitorEventMsg, PeerTraffic, SnapshotMsg, SocketInfo, TelemetryMsg,
} from '../../protocol/types';
import { parseEndpoint, sameEndpoint } from '../endpoints';
import { REASONS, RetryWindow, combineDisconnect } from '../rules';
import type { TimelineEntry } from '../../shared/snapshot';
import { changed } from './changes';
import { addTimeline, addTypes, closedEnd, disconnectEdge, edgesOf, evictClosedSocket, evictExitedProcess, evictGonePlaceholder, isLibzmqId, pick, refusedTypes, setPhase } from './graph';
import { edgeExited, edgeStateAt } from './liveness';
import { endpointFailed, endpointSucceeded, failuresFromSnapshot } from './failures';
import {
  NO_CONNECT_EDGES, NO_EDGES, NO_ENDPOINTS, bindDisplay, connectList, endpointList, internOptions, connectEdgeEntries, connectEdgesAt, endpointRec, soleConnectEdgeIds, flat, intern, latestOf, scriptName, soleClaimant, allConnectEdgeIds, type AgentRec, type EdgeRec, type EndpointRec, type NodeRec, type SocketRec, type StampClock,
} from './records';
import { firstMessages, peerEdge, previousPeerEdge, reachesBinderOf, resolveEdges, resolveFor } from './resolution';
import { discard, type StoreState } from './state';
import { acceptedCount, acceptedCounts, forgetAccepted, isUnseenEdge, settleUnseen, unexplainedConnections } from './unseen';

/** How long the least-delay clock offset of an agent is trusted before it is measured afresh. */
const OFFSET_REFRESH_MS = 30_000;

export function apply(st: StoreState, agentKey: string, msg: TelemetryMsg, receivedAt: number): void {
  st.inputAt = receivedAt;
  try {
    applyAt(st, agentKey, msg, receivedAt);
    settleUnseen(st, receivedAt);
  } finally {
    st.inputAt = undefined;
  }
}

function applyAt(st: StoreState, agentKey: string, msg: TelemetryMsg, receivedAt: number): void {
  let agent = st.agents.get(agentKey);
  if (!agent) {
    agent = { offset: Infinity, offsetAt: receivedAt };
    st.agents.set(agentKey, agent);
  }
  const offset = receivedAt - msg.at;
  if (takesOffset(agent.offset, agent.offsetAt, offset, receivedAt, msg.t === 'hello')) {
    agent.offset = offset;
    agent.offsetAt = receivedAt;
  }
  const monoOffset = msg.mono === undefined ? undefined : receivedAt - msg.mono;
  if (monoOffset !== undefined && takesOffset(agent.monoOffset, agent.monoOffsetAt, monoOffset, receivedAt, msg.t === 'hello')) {
    agent.monoOffset = monoOffset;
    agent.monoOffsetAt = receivedAt;
  }
  if (msg.t === 'hello') {
    hello(st, agentKey, agent, msg, receivedAt);
    return;
  }
  const node = agent.nodeId === undefined ? undefined : st.nodes.get(agent.nodeId);
  if (!node) {
    discard(st, 'before-hello');
    return;
  }
  node.lastSeenAt = receivedAt;
  const agentOffset = agent.offset;
  const clock = (t: number) => Math.min(t + agentOffset, receivedAt);
  // Lateness from what is written to be sent at once: events may be history an agent kept while no
  // collector listened, sent after its snapshot (docs/PROTOCOL.md), and are not late for that.
  if (msg.t === 'traffic' || msg.t === 'beat' || msg.t === 'snapshot') node.lagMs = receivedAt - clock(msg.at);
  // Written after the store stood still: what was queued during the stall has been read (sweep.ts timedSweep).
  if (st.stall !== undefined && clock(msg.at) >= st.stall.endedAt) st.stall = undefined;
  // First-message stamps are on the monotonic clock when the message says which reading of it went with it.
  const stamps: StampClock = msg.mono !== undefined && agent.monoOffset !== undefined
    ? { clock: 'monotonic', offset: agent.monoOffset }
    : { clock: 'wall', offset: agentOffset };
  switch (msg.t) {
    case 'snapshot':
      snapshotMsg(st, node, msg, agentOffset, stamps, receivedAt);
      break;
    case 'socket':
      upsertSocket(st, node, msg);
      break;
    case 'endpoint':
      endpoint(st, node, msg, clock(msg.at));
      break;
    case 'event':
      event(st, node, msg, clock(msg.at));
      break;
    case 'traffic':
      trafficRecords(st, node, msg.peers, agentOffset, stamps, receivedAt, receivedAt, false);
      break;
    case 'disconnect-msg':
      disconnectMsg(st, node, msg, clock(msg.at));
      break;
    case 'close':
      close(st, node, msg.socket, clock(msg.at));
      break;
    case 'beat':
      if (node.dropped !== msg.dropped || node.missed !== (msg.missed ?? 0)) {
        node.dropped = msg.dropped;
        node.missed = msg.missed ?? 0;
        st.dirtyNodes.add(node.id);
      }
      break;
    case 'bye':
      agentGone(st, agentKey, `bye: ${msg.reason}`, receivedAt);
      return;
  }
  changed(st);
}

/**
 * Whether a message's clock offset replaces the agent's: the least delayed message's wins, and it is
 * re-estimated now and then (and on hello), so a clock that is set back is followed within OFFSET_REFRESH_MS.
 */
function takesOffset(current: number | undefined, since: number | undefined, offset: number, receivedAt: number, hello: boolean): boolean {
  return hello || current === undefined || since === undefined || offset <= current || receivedAt - since > OFFSET_REFRESH_MS;
}

export function agentGone(st: StoreState, agentKey: string, reason: string, at: number): void {
  const agent = st.agents.get(agentKey);
  st.agents.delete(agentKey);
  const node = agent?.nodeId === undefined ? undefined : st.nodes.get(agent.nodeId);
  if (!node || node.agentKey !== agentKey || node.exitedAt !== undefined) return;
  exitNode(st, node, reason, at);
  settleUnseen(st, at);
  changed(st);
}

export function malformed(st: StoreState, agentKey: string | undefined, _reason: string, _detail: string): void {
  // Per-reason totals belong to the collector (CollectorStatus); the node shows its own count.
  const nodeId = agentKey === undefined ? undefined : st.agents.get(agentKey)?.nodeId;
  const node = nodeId === undefined ? undefined : st.nodes.get(nodeId);
  if (!node) return;
  node.malformed++;
  st.dirtyNodes.add(node.id);
  changed(st);
}

function hello(st: StoreState, agentKey: string, agent: AgentRec, msg: HelloMsg, receivedAt: number): void {
  const id = `${msg.host}:${msg.pid}:${msg.instance}`;
  // Same host and pid, another instance: the pid was reused, so the earlier process is gone. Not so
  // for a worker thread's agent: one more agent of a process that runs on.
  if (msg.thread === undefined) {
    for (const other of st.nodes.values()) {
      if (other.id !== id && !other.unknown && other.host === msg.host && other.pid === msg.pid && other.exitedAt === undefined) {
        exitNode(st, other, 'process restarted', receivedAt);
      }
    }
  }
  let node = st.nodes.get(id);
  if (!node) {
    if (st.nodes.size >= st.limits.nodes && !evictGonePlaceholder(st) && !evictExitedProcess(st)) {
      discard(st, 'cap:nodes');
      return;
    }
    node = {
      id, pid: msg.pid, host: msg.host, instance: msg.instance, name: '', title: msg.title, runtime: msg.runtime,
      agent: msg.agent, startedAt: 0, lastSeenAt: receivedAt, dropped: 0, missed: 0, malformed: 0, lagMs: 0, sentLastSeenAt: receivedAt,
    };
    st.nodes.set(id, node);
    st.socketsByNode.set(id, new Set());
  }
  node.name = (msg.node ?? scriptName(msg.argv) ?? msg.title) + (msg.thread !== undefined ? ` [thread ${msg.thread}]` : '');
  node.title = msg.title;
  node.runtime = msg.runtime;
  node.agent = msg.agent;
  node.startedAt = Math.min(msg.startedAt + agent.offset, receivedAt);
  node.lastSeenAt = receivedAt;
  node.lagMs = 0; // a hello always sets the offset
  // The process now reports over this connection (e.g. after a collector restart): forget the old one.
  if (node.agentKey !== undefined && node.agentKey !== agentKey) st.agents.delete(node.agentKey);
  node.agentKey = agentKey;
  node.probe = agentKey.startsWith('probe:') || undefined;
  if (node.exitedAt !== undefined) {
    // The same process instance speaks again: its telemetry connection was lost, not the process.
    node.exitedAt = undefined;
    st.topologyDirty = true;
  }
  agent.nodeId = id;
  st.dirtyNodes.add(id);
  changed(st);
}

function snapshotMsg(st: StoreState, node: NodeRec, msg: SnapshotMsg, offset: number, stamps: StampClock, receivedAt: number): void {
  const clock = (t: number) => Math.min(t + offset, receivedAt);
  node.dropped = msg.dropped;
  node.missed = msg.missed ?? 0;
  st.dirtyNodes.add(node.id);
  const reported = new Set<string>();
  for (const s of msg.sockets) {
    const socket = upsertSocket(st, node, s);
    if (!socket) continue;
    reported.add(socket.id);
    socket.binds = endpointList(s.endpoints.filter((e) => e.op === 'bind').map((e) => endpointRec(e.requested, e.resolved, clock(e.at))));
    const before = socket.connects;
    socket.connects = connectList(s.endpoints.filter((e) => e.op === 'connect').map((e) => {
      const rec = endpointRec(e.requested, e.resolved, clock(e.at));
      const upAt = before.find((b) => b.requested === e.requested)?.upAt;
      if (upAt !== undefined) rec.upAt = upAt;
      return rec;
    }));
    socket.closed = s.closed;
    failuresFromSnapshot(st, socket, s.failed, clock);
    if (s.accepted) acceptedCounts(st, socket, s.accepted);
    else forgetAccepted(st, socket);
    st.topologyDirty = true;
  }
  // Sockets the agent no longer lists are gone from the process.
  for (const socketId of st.socketsByNode.get(node.id) ?? []) {
    const socket = st.sockets.get(socketId);
    if (socket && !reported.has(socketId) && !socket.closed) close(st, node, Number(socketId.slice(node.id.length + 1)), clock(msg.at));
  }
  connectsUp(st, node, msg, clock);
  trafficRecords(st, node, msg.sockets.flatMap((s) => s.peers), offset, stamps, receivedAt, clock(msg.at), true);
}

/**
 * Connects a snapshot says are up (EndpointState.up): their edges go up, though the collector never
 * saw the `handshake` (the app connected before the collector listened, or before it restarted). A
 * PUSH or a PUB's connecting subscriber never receives, so no traffic would ever bring its edge up:
 * it stayed `connecting`, and its binder's count of the connection was drawn as a peer without an agent.
 */
function connectsUp(st: StoreState, node: NodeRec, msg: SnapshotMsg, clock: (t: number) => number): void {
  if (!msg.sockets.some((s) => s.endpoints.some((e) => e.up !== undefined))) return;
  resolveEdges(st);
  for (const s of msg.sockets) {
    const socket = st.sockets.get(`${node.id}/${s.socket}`);
    if (!socket || socket.closed) continue;
    for (const e of s.endpoints) {
      if (e.op !== 'connect' || e.up === undefined) continue;
      const upAt = clock(e.up);
      const display = e.resolved ?? e.requested;
      for (const edge of pick(st, connectEdgesAt(socket, display) ?? [])) {
        // Newer news of the edge (a disconnect after that handshake) stands. No timeline entry: the
        // events themselves may still follow (the Python agent keeps them while no collector listens).
        if (edge.phase === 'up' || closedEnd(st, edge) || (edge.phase !== 'connecting' && edge.phaseAt > upAt)) continue;
        edge.touched = true;
        setPhase(st, edge, 'up', upAt);
      }
    }
  }
}

function upsertSocket(st: StoreState, node: NodeRec, info: SocketInfo): SocketRec | undefined {
  const id = `${node.id}/${info.socket}`;
  let socket = st.sockets.get(id);
  // A new socket, or one whose identity stayed, changes only its own connects while it binds nothing.
  const changesOthers = socket !== undefined && (socket.routingHex !== info.routingId?.hex || socket.type !== info.type);
  if (!socket) {
    if (st.sockets.size >= st.limits.sockets && !evictClosedSocket(st) && !evictGonePlaceholder(st)) {
      discard(st, 'cap:sockets');
      return undefined;
    }
    // Every field the record gets is in the literal: fields added later go to a separate property
    // array. The flat id is the maps' key too (a key kept as the concatenation holds both copies).
    socket = {
      id: flat(id), nodeId: node.id, type: info.type, name: info.name, routingHex: info.routingId?.hex, options: internOptions(info.options), site: info.site,
      proxied: info.proxied, binds: NO_ENDPOINTS, connects: NO_ENDPOINTS, closed: false, connectEndpoint: undefined, connectEdges: NO_CONNECT_EDGES, fromEdges: NO_EDGES,
    };
    st.sockets.set(socket.id, socket);
    st.socketsByNode.get(node.id)?.add(socket.id);
  } else {
    socket.type = info.type;
    socket.name = info.name;
    socket.routingHex = info.routingId?.hex;
    socket.options = internOptions(info.options);
    socket.site = info.site;
    socket.proxied = info.proxied;
  }
  st.dirtySockets.add(socket.id);
  connectsChanged(st, socket, changesOthers);
  return socket;
}

/** What a change to `socket` needs resolved: its own connects, or everything when others may be affected. */
function connectsChanged(st: StoreState, socket: SocketRec, changesOthers = false): void {
  if (changesOthers || socket.binds.length > 0 || socket.closed) st.topologyDirty = true;
  else st.connectorsToResolve.add(socket.id);
}

function endpoint(st: StoreState, node: NodeRec, msg: EndpointMsg, at: number): void {
  const socket = st.sockets.get(`${node.id}/${msg.socket}`);
  if (!socket) {
    discard(st, 'unknown-socket');
    return;
  }
  if (!msg.ok) {
    endpointFailed(st, socket, msg, at); // nothing was bound or connected
    return;
  }
  endpointSucceeded(st, socket, msg);
  const same = (e: EndpointRec) => e.requested === msg.requested || e.resolved === msg.requested;
  switch (msg.op) {
    case 'bind':
      socket.binds = [...socket.binds.filter((e) => !same(e)), endpointRec(msg.requested, msg.resolved, at)];
      break;
    case 'connect':
      socket.connects = connectList([...socket.connects.filter((e) => !same(e)), endpointRec(msg.requested, msg.resolved, at)]);
      break;
    case 'unbind':
      socket.binds = endpointList(socket.binds.filter((e) => !same(e)));
      break;
    case 'disconnect':
      for (const [endpoint, edgeIds] of connectEdgeEntries(socket)) {
        if (!sameEndpoint(endpoint, msg.requested)) continue;
        for (const edgeId of edgeIds) disconnectEdge(st, edgeId, REASONS.endpointRemoved, null, at);
      }
      socket.connects = connectList(socket.connects.filter((e) => !same(e)));
      break;
  }
  st.dirtySockets.add(socket.id);
  if (msg.op === 'connect') connectsChanged(st, socket);
  else st.topologyDirty = true;
}

function event(st: StoreState, node: NodeRec, msg: MonitorEventMsg, at: number): void {
  const socket = st.sockets.get(`${node.id}/${msg.socket}`);
  if (!socket) {
    discard(st, 'unknown-socket');
    return;
  }
  if (msg.event === 'bind' && msg.address) fillWildcardBind(st, socket, msg.address);
  if (msg.accepted !== undefined && msg.address !== undefined) acceptedCount(st, socket, msg.address, msg.accepted);
  if (msg.event === 'end' && !socket.closed) forgetAccepted(st, socket);
  // Listener events concern the socket, not any one connection.
  if (msg.event === 'bind' || msg.event === 'bind:error') return;
  if (msg.event === 'handshake' && msg.address?.startsWith('ipc://')) connectionUp(st, socket, msg.address, at);
  resolveFor(st, socket);
  const detail = intern(msg.error ?? (msg.interval !== undefined ? `retry in ${msg.interval} ms` : msg.address));
  // The connections open on the bound address while the event happened (a disconnect's one included).
  const openThen = msg.accepted === undefined ? undefined : msg.accepted + (msg.event === 'disconnect' ? 1 : 0);
  for (const edge of eventEdges(st, socket, msg.address, msg.peer, openThen)) {
    addTimeline(st, edge, { at, event: msg.event, ...(detail !== undefined ? { detail } : {}) });
    edge.touched = true;
    st.dirtyEdges.add(edge.id);
    // A closed socket's last monitor events are read after its `close` was posted: history only.
    if (closedEnd(st, edge)) continue;
    switch (msg.event) {
      case 'connect':
      case 'connect:delay':
        // A reconnect under way; a retrying edge stays retrying until a handshake succeeds.
        if (edge.phase === 'disconnected') setPhase(st, edge, 'connecting', at);
        break;
      case 'connect:retry':
        (edge.retries ??= new RetryWindow(st.options.retryStorm.count, st.options.retryStorm.windowMs)).add(at);
        setPhase(st, edge, 'retrying', at);
        break;
      case 'accept':
        if (edge.phase === 'disconnected') setPhase(st, edge, 'connecting', at);
        break;
      case 'handshake':
        setPhase(st, edge, 'up', at);
        break;
      case 'disconnect': {
        const state = edgeStateAt(st, edge, at);
        const reason = state === 'late' || state === 'dead' ? REASONS.heartbeatTimeout : REASONS.disconnectEvent;
        disconnectEdge(st, edge.id, reason, null, at);
        break;
      }
      default:
        break;
    }
  }
}

/**
 * A ROUTER's disconnect that names the peer (its agent tied the connection to the peer's messages): the
 * peer's edge, unless that is a connection the ROUTER refuses (a routing-id clash): libzmq never reads
 * one, so the closed connection was the served one, whatever edge the id points to now.
 */
function lostPeerEdges(st: StoreState, socket: SocketRec, peer: Bin): EdgeRec[] {
  const edge = peerEdge(st, socket, peer);
  return edge && st.clashes.get(edge.id)?.serves !== false ? [edge] : [];
}

/**
 * The edges a monitor event on `socket` concerns: by connect endpoint, else on a bound endpoint the
 * peer the event names (a ROUTER's agent tied the connection to it), else the one edge there. Never
 * the edge of peers without an agent: their count decides it (unseen.ts). `openThen`: the agent's
 * count of connections open on the bound address when the event happened; a bound-side event goes to
 * the one edge only when no peer without an agent may be the one it concerns.
 */
function eventEdges(st: StoreState, socket: SocketRec, address: string | undefined, peer: Bin | undefined, openThen: number | undefined): EdgeRec[] {
  let byAddress: readonly string[] | undefined;
  for (const [endpoint, ids] of connectEdgeEntries(socket)) {
    if (address !== undefined && sameEndpoint(endpoint, address)) byAddress = byAddress ? byAddress.concat(ids) : ids;
  }
  if (byAddress) return pick(st, byAddress);
  const sole = soleConnectEdgeIds(socket);
  if (sole && (address === undefined || !socket.binds.some((b) => sameEndpoint(bindDisplay(b), address)))) return pick(st, sole);
  if (peer !== undefined) return lostPeerEdges(st, socket, peer);
  // Bound side: the event names only the local endpoint, so it is attributable only when one edge uses it.
  let found: EdgeRec | undefined;
  let count = 0;
  for (const [endpoint, edges] of socket.boundEdges ?? []) {
    if (address !== undefined && !sameEndpoint(endpoint, address)) continue;
    for (const edge of edges) {
      if (isUnseenEdge(edge)) continue;
      if (++count > 1) return [];
      found = edge;
    }
  }
  if (count !== 1 || !found) return [];
  if (openThen !== undefined && address !== undefined && unexplainedConnections(st, socket, address, openThen) > 0) return [];
  return [found];
}

/** An ipc connect's connection came up: which of several binders of its path it reached depends on when. */
function connectionUp(st: StoreState, socket: SocketRec, address: string, at: number): void {
  const connect = socket.connects.find((c) => sameEndpoint(bindDisplay(c), address));
  if (!connect) return;
  connect.upAt = at;
  st.connectorsToResolve.add(socket.id);
}

function fillWildcardBind(st: StoreState, socket: SocketRec, address: string): void {
  const open = socket.binds.filter((b) => b.resolved === undefined && parseEndpoint(b.requested)?.port === undefined);
  if (open.length === 1 && !socket.binds.some((b) => bindDisplay(b) === address)) {
    open[0].resolved = address;
    st.dirtySockets.add(socket.id);
    st.topologyDirty = true;
  }
}

/**
 * A message's traffic records. Their first-message logs are taken in before any record is attributed:
 * a ROUTER's agent reports many new peers in one message, and one re-pairing for all of them costs
 * what one per record would cost once.
 */
function trafficRecords(st: StoreState, node: NodeRec, records: readonly PeerTraffic[], offset: number, stamps: StampClock, latest: number, receivedAt: number, cumulative: boolean): void {
  if (records.some((p) => p.first)) {
    resolveEdges(st); // who claims which routing id, before the logs are filed
    for (const p of records) {
      if (!p.first) continue;
      const socket = st.sockets.get(`${node.id}/${p.socket}`);
      if (socket) firstMessages(st, node, socket, p.peer, p.first, stamps);
    }
  }
  for (const p of records) traffic(st, node, p, offset, latest, receivedAt, cumulative);
}

/**
 * One socket's traffic record. Agent times become collector times by `offset`, capped at `latest`
 * (the arrival); `receivedAt` stamps rates (and counted traffic without stamps).
 */
function traffic(st: StoreState, node: NodeRec, p: PeerTraffic, offset: number, latest: number, receivedAt: number, cumulative: boolean): void {
  const socket = st.sockets.get(`${node.id}/${p.socket}`);
  if (!socket) {
    discard(st, 'unknown-socket');
    return;
  }
  resolveFor(st, socket);
  const clock = (t: number) => Math.min(t + offset, latest);
  const counted = p.msgsIn + p.msgsOut > 0;
  const lastIn = latestOf(p.lastMessageIn, p.lastHeartbeatIn);
  const lastMessageStamp = latestOf(p.lastMessageIn, p.lastMessageOut);
  const lastHeartbeatStamp = latestOf(p.lastHeartbeatIn, p.lastHeartbeatOut);
  const lastMessage = lastMessageStamp !== undefined ? clock(lastMessageStamp) : counted && !cumulative ? receivedAt : undefined;
  const lastHeartbeat = lastHeartbeatStamp === undefined ? undefined : clock(lastHeartbeatStamp);
  // Evidence of a live connection: something *arrived* on this side (sends may only be queued).
  const arrived = lastIn === undefined ? undefined : clock(lastIn);
  const own = trafficEdges(st, socket, p.peer);
  sharedIdTraffic(st, socket, p, clock);
  for (const edge of own ?? liveEdgesOf(st, socket)) {
    if (own === undefined) {
      // The socket's record stands in only for edges that no record of their own has reached.
      if (edge.ownTraffic) continue;
    } else if (!edge.ownTraffic) {
      // The first record of the edge's own replaces what stood in for it.
      edge.ownTraffic = true;
      showCountsOf(st, edge, false);
    }
    const fromSide = edge.from === socket.id;
    edge.touched = true;
    if (lastMessage !== undefined && (edge.lastMessage === undefined || lastMessage > edge.lastMessage)) edge.lastMessage = lastMessage;
    if (lastHeartbeat !== undefined && (edge.lastHeartbeat === undefined || lastHeartbeat > edge.lastHeartbeat)) edge.lastHeartbeat = lastHeartbeat;
    if (fromSide && counted && !edge.fromReports) {
      // From now on the connector's counts are shown: the binder's, kept until now, are dropped.
      showCountsOf(st, edge, true);
    }
    if (fromSide === edge.fromReports) {
      // Rates are from the connecting socket's side: what the binder received went "out" from the connector.
      if (!cumulative && counted) st.rates.add(edge.rates ??= st.rates.allocate(), receivedAt, fromSide ? p.msgsOut : p.msgsIn, fromSide ? p.msgsIn : p.msgsOut);
      addTypes(st, edge, p.types, cumulative);
    }
    if (own !== undefined && arrived !== undefined && edge.phase !== 'up' && arrived > edge.phaseAt && !closedEnd(st, edge)) {
      if (edge.phase === 'disconnected') addTimeline(st, edge, { at: arrived, event: 'recovered', detail: 'traffic after disconnect' });
      setPhase(st, edge, 'up', arrived);
    }
    // Traffic alone is not urgent news: notify() sends it within its per-diff budget (setPhase and
    // addTimeline mark the edge dirty themselves).
    st.trafficEdges.add(edge.id);
  }
}

/**
 * Sends and reads under a routing id that more than one socket set (a worker that replaced its socket):
 * what tells a connection the ROUTER never reads (clashes.ts refusedUnread). Kept for such ids only.
 */
function sharedIdTraffic(st: StoreState, socket: SocketRec, p: PeerTraffic, clock: (t: number) => number): void {
  if (st.sharedRoutingIds === 0) return;
  if (p.peer !== undefined) {
    const readStamp = latestOf(p.lastMessageIn, p.lastHeartbeatIn);
    if (readStamp === undefined || !sharedId(st, p.peer.hex)) return;
    const peer = socket.peers?.get(p.peer.hex);
    const readAt = clock(readStamp);
    if (peer && (peer.readAt === undefined || readAt > peer.readAt)) peer.readAt = readAt;
    return;
  }
  if (socket.routingHex === undefined || p.lastMessageOut === undefined || !sharedId(st, socket.routingHex)) return;
  // The first send known on the connection now up (a record's latest, within a flush of the first).
  const ids = allConnectEdgeIds(socket);
  const upAt = ids.length === 1 ? st.edges.get(ids[0])?.phaseAt : undefined;
  const sentAt = clock(p.lastMessageOut);
  if (upAt !== undefined && sentAt > upAt && (socket.sentAt === undefined || socket.sentAt <= upAt)) socket.sentAt = sentAt;
}

/** Whether more than one socket set routing id `hex`. */
function sharedId(st: StoreState, hex: string): boolean {
  const claimants = st.byRoutingId.get(hex);
  return claimants !== undefined && soleClaimant(claimants) === undefined;
}

/** Counts shown from now on come from the connector (`fromConnector`) or the binder; those kept are dropped. */
function showCountsOf(st: StoreState, edge: EdgeRec, fromConnector: boolean): void {
  edge.fromReports = fromConnector;
  if (edge.rates !== undefined) st.rates.release(edge.rates);
  edge.rates = undefined;
  edge.types = undefined;
}

/**
 * Which edges a socket's traffic belongs to: by routing id where it has one, else the socket's one
 * connection; undefined when the record is the whole socket's. A PULL sink fed by several workers, a
 * PUB with several subscribers, a DEALER dealing to two servers cannot say which connection a message
 * took: given to every edge, such a record kept a stopped worker's edge as fresh as the busiest one.
 * Each connection's own other end (the connector's agent, a ROUTER's per-peer records) is its
 * evidence; the socket's record stands in only where no such evidence has come (EdgeRec.ownTraffic).
 */
function trafficEdges(st: StoreState, socket: SocketRec, peer: Bin | undefined): EdgeRec[] | undefined {
  const connectEdges: EdgeRec[] = [];
  const list = socket.connectEdges;
  const add = (id: string): void => {
    const edge = st.edges.get(id);
    if (edge) connectEdges.push(edge);
  };
  if (typeof list === 'string') add(list);
  else {
    for (let k = 1; k < list.length; k += 2) {
      const ids = list[k];
      if (typeof ids === 'string') add(ids);
      else ids.forEach(add);
    }
  }
  if (peer !== undefined) {
    const toPeer = connectEdges.filter((e) => reachesBinderOf(st, e, peer.hex));
    if (toPeer.length > 0) return toPeer;
    if (socket.binds.length > 0 || connectEdges.length === 0) {
      const edge = peerEdge(st, socket, peer);
      return edge ? [edge] : [];
    }
    return connectEdges.length === 1 ? connectEdges : [];
  }
  // A connector's one edge (the common case) without copying its bound edges, which it rarely has.
  // No message passes between types that cannot talk (a PUB's sends are not a PUSH's, connected to it by mistake).
  if (!socket.boundEdges?.size && connectEdges.length <= 1) return connectEdges.length === 1 && refusedTypes(st, connectEdges[0]) ? [] : connectEdges;
  const live = liveEdgesOf(st, socket, connectEdges).filter((edge) => !refusedTypes(st, edge));
  return live.length <= 1 ? live : undefined;
}

/** A socket's edges whose connection may still carry traffic (not a closed socket's, not an exited process's). */
function liveEdgesOf(st: StoreState, socket: SocketRec, connectEdges?: EdgeRec[]): EdgeRec[] {
  const edges = connectEdges ? connectEdges.concat(edgesOf(socket, 'bound')) : edgesOf(socket);
  return edges.length <= 1 ? edges : edges.filter((edge) => !closedEnd(st, edge) && !edgeExited(st, edge));
}

function disconnectMsg(st: StoreState, node: NodeRec, msg: DisconnectMsgMsg, at: number): void {
  const socket = st.sockets.get(`${node.id}/${msg.socket}`);
  if (!socket) {
    discard(st, 'unknown-socket');
    return;
  }
  resolveFor(st, socket);
  if (handedOverFarewell(socket, msg.peer.hex)) {
    discard(st, 'handed-over');
    return;
  }
  const edge = peerEdge(st, socket, msg.peer);
  if (!edge) return;
  if (socket.type === 'STREAM') {
    // The agent saw libzmq's notice that the peer's TCP connection closed (ZMQ_STREAM_NOTIFY).
    addTimeline(st, edge, { at, event: 'disconnect', detail: REASONS.streamClosed });
    disconnectEdge(st, edge.id, REASONS.streamClosed, null, at);
    return;
  }
  const message = msg.text ? binLabel(msg.text) : null;
  const entry: TimelineEntry = { at, event: 'disconnect-msg', detail: message ?? `peer ${binLabel(msg.peer)}` };
  // It ends the previous connection with that routing id, whose loss is already shown, when the edge is
  // up since after the ROUTER read it (handshake or traffic; the two ends' telemetry travels apart), or
  // has not been up since its last loss (connecting, retrying), or is a replacing DEALER's new edge.
  const previous = edge.phase === 'disconnected' ? undefined : previousPeerEdge(st, socket, msg.peer, edge);
  if (edge.phase === 'up' ? at < edge.phaseAt : edge.phase !== 'disconnected' && (edge.touched || previous !== undefined)) {
    if (previous) {
      addTimeline(st, previous, entry);
      disconnectEdge(st, previous.id, REASONS.disconnectMsg, message, at);
    } else {
      addTimeline(st, edge, entry);
      edge.lastDisconnect = combineDisconnect(edge.lastDisconnect, true, { at, message, reason: REASONS.disconnectMsg });
      st.dirtyEdges.add(edge.id);
    }
    return;
  }
  addTimeline(st, edge, entry);
  disconnectEdge(st, edge.id, REASONS.disconnectMsg, message, at);
}

/**
 * With ZMQ_ROUTER_HANDOVER libzmq gives the connection it hands over a fresh id of its own form (a zero
 * byte and a 32-bit counter) before it drops it, so that connection's farewell arrives under an id the
 * ROUTER never read from. It is not a new peer: the connection's own end reports its loss. Drawn as one,
 * a worker that replaces its socket left an "unknown peer" on its ROUTER at every replacement.
 */
function handedOverFarewell(router: SocketRec, hex: string): boolean {
  return router.options.routerHandover === true && isLibzmqId(hex) && router.peers?.has(hex) !== true;
}

function close(st: StoreState, node: NodeRec, socketNumber: number, at: number): void {
  const socket = st.sockets.get(`${node.id}/${socketNumber}`);
  if (!socket) {
    discard(st, 'unknown-socket');
    return;
  }
  socket.closed = true;
  for (const edge of edgesOf(socket)) disconnectEdge(st, edge.id, REASONS.socketClosed, null, at);
  st.dirtySockets.add(socket.id);
  st.topologyDirty = true;
}

function exitNode(st: StoreState, node: NodeRec, reason: string, at: number): void {
  node.exitedAt = at;
  st.urgentChange = true;
  st.dirtyNodes.add(node.id);
  for (const socketId of st.socketsByNode.get(node.id) ?? []) {
    for (const edge of edgesOf(st.sockets.get(socketId))) {
      addTimeline(st, edge, { at, event: 'disconnect', detail: `${REASONS.processExited} (${reason})` });
      disconnectEdge(st, edge.id, REASONS.processExited, null, at);
    }
  }
  st.topologyDirty = true;
}
