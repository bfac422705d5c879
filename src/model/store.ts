/**
 * TopologyStore: decoded telemetry in, the resolved picture out (snapshots and throttled diffs).
 * Plain Node, one sweep timer, bounded. docs/SNAPSHOT.md documents what comes out.
 *
 * Facts (nodes, sockets, endpoints, per-edge stamps and events) are stored as they arrive; which
 * socket an edge connects to is *resolved* from them (resolve()) whenever the topology facts
 * change, so a peer first seen as "unknown" is merged into its real edge once its socket reports.
 */
import { binLabel } from '../protocol/bin';
import type {
  Bin, CreationSite, DisconnectMsgMsg, EndpointMsg, FirstMessages, HelloMsg, MonitorEventMsg, PeerTraffic, Runtime, SnapshotMsg,
  SocketInfo, SocketOptions, SocketType, TelemetryMsg,
} from '../protocol/types';
import { pairPeers, type ConnectionEvidence, type EvidenceKind, type PeerEvidence, type Stamp } from './attribution';
import { matchKeys, parseEndpoint, sameEndpoint } from './endpoints';
import {
  REASONS, RetryWindow, combineDisconnect, edgeState, livenessAge, newRateRing, rateAbsorb, rateAdd, rateOf,
  type EdgePhase, type RateRing, type Thresholds,
} from './rules';
import {
  SNAPSHOT_SCHEMA, type Attribution, type CollectorStatus, type EdgeState, type EdgeView, type LastDisconnect, type NodeState, type NodeView,
  type SocketView, type TimelineEntry, type TopologyDiff, type TopologySnapshot,
} from '../shared/snapshot';

export interface StoreLimits {
  nodes: number;
  sockets: number;
  edges: number;
  unknownPeers: number;
  /** Distinct message type names kept per edge; the rest are summed under "(other)". */
  messageTypesPerEdge: number;
}

export interface StoreOptions {
  /** Heartbeat (or traffic) age → 'late'. */
  warnAfterMs: number;
  /** → 'dead'; also: a node with no telemetry this long → 'stale'. */
  deadAfterMs: number;
  /** The one sweep timer. */
  sweepIntervalMs: number;
  /** Diff notifications at most this often. */
  notifyIntervalMs: number;
  /** Per-edge timeline entries kept. */
  timelineLength: number;
  /** connect:retry events in the window → retryStorm. */
  retryStorm: { count: number; windowMs: number };
  /** Store size caps (optional extension of the agreed surface; defaults in DEFAULT_LIMITS). */
  limits?: Partial<StoreLimits>;
  now?: () => number;
}

export const DEFAULT_LIMITS: StoreLimits = { nodes: 1000, sockets: 10_000, edges: 20_000, unknownPeers: 1000, messageTypesPerEdge: 64 };

export const DEFAULT_STORE_OPTIONS: StoreOptions = {
  warnAfterMs: 2500,
  deadAfterMs: 6000,
  sweepIntervalMs: 250,
  notifyIntervalMs: 100,
  timelineLength: 50,
  retryStorm: { count: 5, windowMs: 10_000 },
};

/** How long the least-delay clock offset of an agent is trusted before it is measured afresh. */
const OFFSET_REFRESH_MS = 30_000;
/**
 * The shortest gap between two diffs when one carries a connection going down or late, or a process
 * exiting: sent at once rather than after the ordinary throttle (notifyIntervalMs), yet a burst of
 * exits still makes at most one diff per this many ms.
 */
const URGENT_NOTIFY_MS = 20;
/** The shortest gap between two sweeps run for edges crossing a threshold between regular sweeps. */
const DUE_SWEEP_GAP_MS = 20;
/** Routing ids remembered per ROUTER (anonymous peers get a new one on every reconnect). */
const PEERS_PER_SOCKET = 4096;
/** A lastSeenAt change alone puts a node in a diff at most this often. */
const LAST_SEEN_RESOLUTION_MS = 1000;
const OTHER_TYPES = '(other)';
const ROUTER_LIKE: ReadonlySet<SocketType> = new Set(['ROUTER', 'STREAM', 'SERVER', 'PEER']);
const UNKNOWN_RUNTIME: Runtime = { name: 'unknown', version: '', binding: '', libzmq: '', disconnectMsg: false };

interface AgentRec {
  nodeId?: string;
  /**
   * Agent clock → collector clock: the smallest receivedAt − msg.at seen lately (the least delayed
   * message), so a backlog delivered late does not make its old stamps look fresh.
   */
  offset: number;
  offsetAt: number;
}

interface NodeRec {
  id: string;
  pid: number;
  host: string;
  instance: string;
  name: string;
  title: string;
  runtime: Runtime;
  agent: { name: string; version: string };
  startedAt: number;
  lastSeenAt: number;
  exitedAt?: number;
  dropped: number;
  malformed: number;
  /** The connection this node currently reports over; an older connection's loss does not end it. */
  agentKey?: string;
  /** Synthetic: an unknown peer (no agent). */
  unknown?: boolean;
  probe?: boolean;
  sentState?: NodeState;
  sentLastSeenAt: number;
}

interface EndpointRec {
  requested: string;
  resolved?: string;
}

/** A log of first messages on the agent's clock, with that agent's clock offset when it came. */
interface FirstLogRec {
  in: readonly Stamp[];
  out: readonly Stamp[];
  /** The reporting node's host and agent clock → collector clock offset (for logs from other hosts). */
  host: string;
  offset: number;
}

interface PeerRec {
  peer: Bin;
  edgeId?: string;
  /** How edgeId was chosen. */
  how?: Attribution;
  /** The ROUTER's side of the connection: its first messages with this peer. */
  first?: FirstLogRec;
}

/** A connecting socket's log of one connection (ConnLogRec.conn: 1, 2, … after each disconnect). */
interface ConnLogRec extends FirstLogRec {
  conn: number;
}

/** Two agents on one host whose offsets differ by less than this read one clock. */
const SAME_CLOCK_MS = 50;
/** Connection logs kept per connecting socket: enough for a few reconnects in a row. */
const CONNECTIONS_KEPT = 4;

interface SocketRec {
  id: string;
  nodeId: string;
  type: SocketType;
  name?: string;
  routingId?: Bin;
  options: SocketOptions;
  site?: CreationSite;
  binds: EndpointRec[];
  connects: EndpointRec[];
  closed: boolean;
  unknown?: boolean;
  /** Resolution: connect endpoint → the edges it currently reaches. */
  connectEdges: Map<string, string[]>;
  /** ROUTER-like sockets: peers by routing id hex, and the edge each is attributed to (created on the first peer). */
  peers?: Map<string, PeerRec>;
  /**
   * Edges bound here (`to` is this socket), by their endpoint: a bound-side monitor event names only
   * the endpoint, and is attributable only when exactly one edge uses it. Without this index every
   * such event scanned all the socket's edges (milliseconds on a ROUTER with thousands of peers).
   */
  boundEdges?: Map<string, Set<EdgeRec>>;
  /** Edges from here (`from` is this socket): exact-size, replaced on change (a connector has one or a few). */
  fromEdges: readonly EdgeRec[];
  /** Connecting DEALER/REQ/REP sockets: the first messages of their latest connections. */
  conns?: ConnLogRec[];
  /** ROUTERs: anonymous peers paired with connections from the logs (attribution.ts), by routing id hex. */
  pairings?: Map<string, { edgeId: string; how: EvidenceKind; connection: string }>;
  /** ROUTERs: a peer or a connector's log changed since pairings were made. */
  pairingDirty?: boolean;
}

/**
 * Message type counts as a flat [name, count, name, count, …] list: a handful of names per edge, so a
 * linear scan beats a dictionary object, and the names are the strings JSON.parse interned.
 */
type TypeCounts = (string | number)[];
const NO_TIMELINE: readonly TimelineEntry[] = Object.freeze([]);
const NO_EDGES: readonly EdgeRec[] = Object.freeze([]);

interface EdgeRec {
  id: string;
  from: string;
  to: string;
  endpoint: string;
  routingId?: Bin;
  attribution?: Attribution;
  phase: EdgePhase;
  phaseAt: number;
  /** Whether any telemetry has touched the edge (a fresh edge takes a merged edge's phase). */
  touched: boolean;
  lastHeartbeat: number | undefined;
  lastMessage: number | undefined;
  /**
   * Whether the connecting side reports traffic for this edge. Its counts are then the ones shown,
   * so only the shown side's rates and types are kept: the binder's until the connector reports,
   * the connector's from then on (the flag never goes back).
   */
  fromReports: boolean;
  /** Created on the first counted message. */
  rates: RateRing | undefined;
  types: TypeCounts | undefined;
  lastDisconnect: LastDisconnect | null;
  /** Created on the first connect:retry. */
  retries: RetryWindow | undefined;
  /** Replaced, never changed in place (so arrays stay exactly as long as their entries). */
  timeline: readonly TimelineEntry[];
  sweptState: EdgeState;
  /**
   * What the last diff said about the fields that change with the clock (state, rates, storm) and the
   * stamps the ages count from; sentState undefined: never sent. Ages alone are not a change: the
   * consumer ticks them on from the diff's takenAt (docs/SNAPSHOT.md).
   */
  sentState: EdgeState | undefined;
  sentHeartbeatAt: number | undefined;
  sentMessageAt: number | undefined;
  sentOut: number;
  sentIn: number;
  sentStorm: boolean;
}

export class TopologyStore {
  private readonly options: StoreOptions;
  private readonly limits: StoreLimits;
  private readonly now: () => number;
  private readonly agents = new Map<string, AgentRec>();
  private readonly nodes = new Map<string, NodeRec>();
  private readonly sockets = new Map<string, SocketRec>();
  private readonly socketsByNode = new Map<string, Set<string>>();
  private readonly edges = new Map<string, EdgeRec>();
  private byRoutingId = new Map<string, SocketRec[]>();
  /** Connections (socket id + "#" + number) paired with a peer, and the ROUTER that peer is on. */
  private readonly connOwner = new Map<string, string>();
  private unknownPeers = 0;
  private topologyDirty = false;
  private collector: CollectorStatus | undefined;
  private readonly discarded: Record<string, number> = Object.create(null) as Record<string, number>;

  private readonly listeners = new Set<(diff: TopologyDiff) => void>();
  private readonly dirtyNodes = new Set<string>();
  private readonly dirtySockets = new Set<string>();
  private readonly dirtyEdges = new Set<string>();
  private readonly removedNodes = new Set<string>();
  private readonly removedSockets = new Set<string>();
  private readonly removedEdges = new Set<string>();
  private collectorDirty = false;
  private lastNotifyAt = -Infinity;
  private notifyTimer: NodeJS.Timeout | undefined;
  /** When the pending notify fires (collector clock). */
  private notifyDueAt = Infinity;
  /** A connection went down or late, or a process exited, since the last diff: notify without the throttle. */
  private urgentChange = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** A sweep at the moment the next edge crosses a liveness threshold (see sweep()). */
  private dueTimer: NodeJS.Timeout | undefined;

  constructor(options: Partial<StoreOptions> = {}) {
    this.options = { ...DEFAULT_STORE_OPTIONS, ...options };
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? (() => Date.now());
  }

  private get thresholds(): Thresholds {
    return this.options;
  }

  // ─── input ──────────────────────────────────────────────────────────────────────────────────────

  apply(agentKey: string, msg: TelemetryMsg, receivedAt: number): void {
    let agent = this.agents.get(agentKey);
    if (!agent) {
      agent = { offset: Infinity, offsetAt: receivedAt };
      this.agents.set(agentKey, agent);
    }
    const offset = receivedAt - msg.at;
    // Re-estimated now and then, so a clock that is set back is followed within OFFSET_REFRESH_MS.
    if (msg.t === 'hello' || offset <= agent.offset || receivedAt - agent.offsetAt > OFFSET_REFRESH_MS) {
      agent.offset = offset;
      agent.offsetAt = receivedAt;
    }
    if (msg.t === 'hello') {
      this.hello(agentKey, agent, msg, receivedAt);
      return;
    }
    const node = agent.nodeId === undefined ? undefined : this.nodes.get(agent.nodeId);
    if (!node) {
      this.discard('before-hello');
      return;
    }
    node.lastSeenAt = receivedAt;
    const agentOffset = agent.offset;
    const clock = (t: number) => Math.min(t + agentOffset, receivedAt);
    switch (msg.t) {
      case 'snapshot':
        this.snapshotMsg(node, msg, agentOffset, receivedAt);
        break;
      case 'socket':
        this.upsertSocket(node, msg);
        break;
      case 'endpoint':
        this.endpoint(node, msg, clock(msg.at));
        break;
      case 'event':
        this.event(node, msg, clock(msg.at));
        break;
      case 'traffic':
        for (const p of msg.peers) this.traffic(node, p, agentOffset, receivedAt, receivedAt, false);
        break;
      case 'disconnect-msg':
        this.disconnectMsg(node, msg, clock(msg.at));
        break;
      case 'close':
        this.close(node, msg.socket, clock(msg.at));
        break;
      case 'beat':
        if (node.dropped !== msg.dropped) {
          node.dropped = msg.dropped;
          this.dirtyNodes.add(node.id);
        }
        break;
      case 'bye':
        this.agentGone(agentKey, `bye: ${msg.reason}`, receivedAt);
        return;
    }
    this.changed();
  }

  agentGone(agentKey: string, reason: string, at: number): void {
    const agent = this.agents.get(agentKey);
    this.agents.delete(agentKey);
    const node = agent?.nodeId === undefined ? undefined : this.nodes.get(agent.nodeId);
    if (!node || node.agentKey !== agentKey || node.exitedAt !== undefined) return;
    this.exitNode(node, reason, at);
    this.changed();
  }

  malformed(agentKey: string | undefined, _reason: string, _detail: string): void {
    // Per-reason totals belong to the collector (CollectorStatus); the node shows its own count.
    const nodeId = agentKey === undefined ? undefined : this.agents.get(agentKey)?.nodeId;
    const node = nodeId === undefined ? undefined : this.nodes.get(nodeId);
    if (!node) return;
    node.malformed++;
    this.dirtyNodes.add(node.id);
    this.changed();
  }

  setCollectorStatus(status: CollectorStatus): void {
    this.collector = { ...status, malformed: { ...status.malformed } };
    this.collectorDirty = true;
    this.changed();
  }

  // ─── output ─────────────────────────────────────────────────────────────────────────────────────

  snapshot(): TopologySnapshot {
    this.resolveIfDirty();
    const now = this.now();
    const collector = this.collectorView();
    return {
      schema: SNAPSHOT_SCHEMA,
      takenAt: now,
      ...(collector ? { collector } : {}),
      nodes: [...this.nodes.values()].map((n) => this.nodeView(n, now)),
      sockets: [...this.sockets.values()].map((s) => this.socketView(s)),
      edges: [...this.edges.values()].map((e) => this.edgeView(e, now)),
    };
  }

  onDiff(listener: (diff: TopologyDiff) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  clearExited(): void {
    for (const node of [...this.nodes.values()]) {
      if (node.exitedAt === undefined || node.unknown) continue;
      for (const socketId of [...(this.socketsByNode.get(node.id) ?? [])]) this.removeSocket(socketId);
      this.removeNode(node.id);
    }
    this.dropOrphans();
    this.topologyDirty = true;
    this.changed();
  }

  start(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.sweep(), this.options.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  dispose(): void {
    clearInterval(this.sweepTimer);
    clearTimeout(this.dueTimer);
    this.dueTimer = undefined;
    clearTimeout(this.notifyTimer);
    this.sweepTimer = undefined;
    this.notifyTimer = undefined;
    this.notifyDueAt = Infinity;
    this.listeners.clear();
  }

  // ─── messages ───────────────────────────────────────────────────────────────────────────────────

  private hello(agentKey: string, agent: AgentRec, msg: HelloMsg, receivedAt: number): void {
    const id = `${msg.host}:${msg.pid}:${msg.instance}`;
    // Same host and pid, another instance: the pid was reused, so the earlier process is gone.
    for (const other of this.nodes.values()) {
      if (other.id !== id && !other.unknown && other.host === msg.host && other.pid === msg.pid && other.exitedAt === undefined) {
        this.exitNode(other, 'process restarted', receivedAt);
      }
    }
    let node = this.nodes.get(id);
    if (!node) {
      if (this.nodes.size >= this.limits.nodes) {
        this.discard('cap:nodes');
        return;
      }
      node = {
        id, pid: msg.pid, host: msg.host, instance: msg.instance, name: '', title: msg.title, runtime: msg.runtime,
        agent: msg.agent, startedAt: 0, lastSeenAt: receivedAt, dropped: 0, malformed: 0, sentLastSeenAt: receivedAt,
      };
      this.nodes.set(id, node);
      this.socketsByNode.set(id, new Set());
    }
    node.name = msg.node ?? scriptName(msg.argv) ?? msg.title;
    node.title = msg.title;
    node.runtime = msg.runtime;
    node.agent = msg.agent;
    node.startedAt = Math.min(msg.startedAt + agent.offset, receivedAt);
    node.lastSeenAt = receivedAt;
    // The process now reports over this connection (e.g. after a collector restart): forget the old one.
    if (node.agentKey !== undefined && node.agentKey !== agentKey) this.agents.delete(node.agentKey);
    node.agentKey = agentKey;
    node.probe = agentKey.startsWith('probe:') || undefined;
    if (node.exitedAt !== undefined) {
      // The same process instance speaks again: its telemetry connection was lost, not the process.
      node.exitedAt = undefined;
      this.topologyDirty = true;
    }
    agent.nodeId = id;
    this.dirtyNodes.add(id);
    this.changed();
  }

  private snapshotMsg(node: NodeRec, msg: SnapshotMsg, offset: number, receivedAt: number): void {
    const clock = (t: number) => Math.min(t + offset, receivedAt);
    node.dropped = msg.dropped;
    this.dirtyNodes.add(node.id);
    const reported = new Set<string>();
    for (const s of msg.sockets) {
      const socket = this.upsertSocket(node, s);
      if (!socket) continue;
      reported.add(socket.id);
      socket.binds = s.endpoints.filter((e) => e.op === 'bind').map((e) => endpointRec(e.requested, e.resolved));
      socket.connects = s.endpoints.filter((e) => e.op === 'connect').map((e) => endpointRec(e.requested, e.resolved));
      socket.closed = s.closed;
      this.topologyDirty = true;
    }
    // Sockets the agent no longer lists are gone from the process.
    for (const socketId of this.socketsByNode.get(node.id) ?? []) {
      const socket = this.sockets.get(socketId);
      if (socket && !reported.has(socketId) && !socket.closed) this.close(node, Number(socketId.slice(node.id.length + 1)), clock(msg.at));
    }
    for (const s of msg.sockets) for (const p of s.peers) this.traffic(node, p, offset, receivedAt, clock(msg.at), true);
  }

  private upsertSocket(node: NodeRec, info: SocketInfo): SocketRec | undefined {
    const id = `${node.id}/${info.socket}`;
    let socket = this.sockets.get(id);
    if (!socket) {
      if (this.sockets.size >= this.limits.sockets && !this.evictClosedSocket()) {
        this.discard('cap:sockets');
        return undefined;
      }
      socket = {
        id, nodeId: node.id, type: info.type, options: info.options, binds: [], connects: [], closed: false,
        connectEdges: new Map(), fromEdges: NO_EDGES,
      };
      this.sockets.set(id, socket);
      this.socketsByNode.get(node.id)?.add(id);
    }
    if (socket.routingId?.hex !== info.routingId?.hex) this.topologyDirty = true;
    socket.type = info.type;
    socket.name = info.name;
    socket.routingId = info.routingId;
    socket.options = info.options;
    socket.site = info.site;
    this.dirtySockets.add(id);
    this.topologyDirty = true;
    return socket;
  }

  private endpoint(node: NodeRec, msg: EndpointMsg, at: number): void {
    const socket = this.sockets.get(`${node.id}/${msg.socket}`);
    if (!socket) {
      this.discard('unknown-socket');
      return;
    }
    if (!msg.ok) return; // the app saw the error itself; nothing was bound or connected
    const same = (e: EndpointRec) => e.requested === msg.requested || e.resolved === msg.requested;
    switch (msg.op) {
      case 'bind':
        socket.binds = [...socket.binds.filter((e) => !same(e)), endpointRec(msg.requested, msg.resolved)];
        break;
      case 'connect':
        socket.connects = [...socket.connects.filter((e) => !same(e)), endpointRec(msg.requested, msg.resolved)];
        break;
      case 'unbind':
        socket.binds = socket.binds.filter((e) => !same(e));
        break;
      case 'disconnect':
        for (const [endpoint, edgeIds] of socket.connectEdges) {
          if (!sameEndpoint(endpoint, msg.requested)) continue;
          for (const edgeId of edgeIds) this.disconnectEdge(edgeId, REASONS.endpointRemoved, null, at);
        }
        socket.connects = socket.connects.filter((e) => !same(e));
        break;
    }
    this.dirtySockets.add(socket.id);
    this.topologyDirty = true;
  }

  private event(node: NodeRec, msg: MonitorEventMsg, at: number): void {
    const socket = this.sockets.get(`${node.id}/${msg.socket}`);
    if (!socket) {
      this.discard('unknown-socket');
      return;
    }
    if (msg.event === 'bind' && msg.address) this.fillWildcardBind(socket, msg.address);
    // Listener events concern the socket, not any one connection.
    if (msg.event === 'bind' || msg.event === 'bind:error') return;
    this.resolveIfDirty();
    const detail = intern(msg.error ?? (msg.interval !== undefined ? `retry in ${msg.interval} ms` : msg.address));
    for (const edge of this.eventEdges(socket, msg.address)) {
      this.addTimeline(edge, { at, event: msg.event, ...(detail !== undefined ? { detail } : {}) });
      edge.touched = true;
      this.dirtyEdges.add(edge.id);
      // A closed socket's last monitor events are read after its `close` was posted: history only.
      if (this.closedEnd(edge)) continue;
      switch (msg.event) {
        case 'connect':
        case 'connect:delay':
          // A reconnect under way; a retrying edge stays retrying until a handshake succeeds.
          if (edge.phase === 'disconnected') this.setPhase(edge, 'connecting', at);
          break;
        case 'connect:retry':
          (edge.retries ??= new RetryWindow(this.options.retryStorm.count, this.options.retryStorm.windowMs)).add(at);
          this.setPhase(edge, 'retrying', at);
          break;
        case 'accept':
          if (edge.phase === 'disconnected') this.setPhase(edge, 'connecting', at);
          break;
        case 'handshake':
          this.setPhase(edge, 'up', at);
          break;
        case 'disconnect': {
          const state = this.edgeStateNow(edge, at);
          const reason = state === 'late' || state === 'dead' ? REASONS.heartbeatTimeout : REASONS.disconnectEvent;
          this.disconnectEdge(edge.id, reason, null, at);
          break;
        }
        default:
          break;
      }
    }
  }

  /** Whether either end of the edge is a closed socket: nothing brings such an edge back up. */
  private closedEnd(edge: EdgeRec): boolean {
    return this.sockets.get(edge.from)?.closed === true || this.sockets.get(edge.to)?.closed === true;
  }

  /** The edges a monitor event on `socket` concerns: by connect endpoint, else the one edge on a bound endpoint. */
  private eventEdges(socket: SocketRec, address: string | undefined): EdgeRec[] {
    let byAddress: string[] | undefined;
    for (const [endpoint, ids] of socket.connectEdges) {
      if (address !== undefined && sameEndpoint(endpoint, address)) byAddress = byAddress ? byAddress.concat(ids) : ids;
    }
    if (byAddress) return this.pick(byAddress);
    if (socket.connectEdges.size === 1 && (address === undefined || !socket.binds.some((b) => sameEndpoint(bindDisplay(b), address)))) {
      return this.pick(socket.connectEdges.values().next().value as string[]);
    }
    // Bound side: the event names only the local endpoint, so it is attributable only when one edge uses it.
    let found: EdgeRec | undefined;
    let count = 0;
    for (const [endpoint, edges] of socket.boundEdges ?? []) {
      if (address !== undefined && !sameEndpoint(endpoint, address)) continue;
      count += edges.size;
      if (count > 1) return [];
      if (edges.size === 1) found = edges.values().next().value as EdgeRec;
    }
    return count === 1 && found ? [found] : [];
  }

  /** A socket's edges (a copy: safe to change the store while walking it): from it, then bound to it. */
  private edgesOf(socket: SocketRec | undefined, which: 'all' | 'bound' = 'all'): EdgeRec[] {
    if (!socket) return [];
    const edges = which === 'all' ? [...socket.fromEdges] : [];
    for (const set of socket.boundEdges?.values() ?? []) edges.push(...set);
    return edges;
  }

  private pick(ids: readonly string[]): EdgeRec[] {
    const edges: EdgeRec[] = [];
    for (const id of ids) {
      const edge = this.edges.get(id);
      if (edge) edges.push(edge);
    }
    return edges;
  }

  private fillWildcardBind(socket: SocketRec, address: string): void {
    const open = socket.binds.filter((b) => b.resolved === undefined && parseEndpoint(b.requested)?.port === undefined);
    if (open.length === 1 && !socket.binds.some((b) => bindDisplay(b) === address)) {
      open[0].resolved = address;
      this.dirtySockets.add(socket.id);
      this.topologyDirty = true;
    }
  }

  /**
   * One socket's traffic record. Agent times become collector times by `offset`, capped at `latest`
   * (the arrival); `receivedAt` stamps rates (and counted traffic without stamps).
   */
  private traffic(node: NodeRec, p: PeerTraffic, offset: number, latest: number, receivedAt: number, cumulative: boolean): void {
    const socket = this.sockets.get(`${node.id}/${p.socket}`);
    if (!socket) {
      this.discard('unknown-socket');
      return;
    }
    if (p.first) this.firstMessages(node, socket, p.peer, p.first, offset);
    this.resolveIfDirty();
    const clock = (t: number) => Math.min(t + offset, latest);
    const counted = p.msgsIn + p.msgsOut > 0;
    const lastIn = latestOf(p.lastMessageIn, p.lastHeartbeatIn);
    const lastMessageStamp = latestOf(p.lastMessageIn, p.lastMessageOut);
    const lastHeartbeatStamp = latestOf(p.lastHeartbeatIn, p.lastHeartbeatOut);
    const lastMessage = lastMessageStamp !== undefined ? clock(lastMessageStamp) : counted && !cumulative ? receivedAt : undefined;
    const lastHeartbeat = lastHeartbeatStamp === undefined ? undefined : clock(lastHeartbeatStamp);
    // Evidence of a live connection: something *arrived* on this side (sends may only be queued).
    const arrived = lastIn === undefined ? undefined : clock(lastIn);
    for (const edge of this.trafficEdges(socket, p.peer)) {
      const fromSide = edge.from === socket.id;
      edge.touched = true;
      if (lastMessage !== undefined && (edge.lastMessage === undefined || lastMessage > edge.lastMessage)) edge.lastMessage = lastMessage;
      if (lastHeartbeat !== undefined && (edge.lastHeartbeat === undefined || lastHeartbeat > edge.lastHeartbeat)) edge.lastHeartbeat = lastHeartbeat;
      if (fromSide && counted && !edge.fromReports) {
        // From now on the connector's counts are shown: the binder's, kept until now, are dropped.
        edge.fromReports = true;
        edge.rates = undefined;
        edge.types = undefined;
      }
      if (fromSide === edge.fromReports) {
        // Rates are from the connecting socket's side: what the binder received went "out" from the connector.
        if (!cumulative && counted) rateAdd(edge.rates ??= newRateRing(), receivedAt, fromSide ? p.msgsOut : p.msgsIn, fromSide ? p.msgsIn : p.msgsOut);
        this.addTypes(edge, p.types, cumulative);
      }
      if (arrived !== undefined && edge.phase !== 'up' && arrived > edge.phaseAt && !this.closedEnd(edge)) {
        if (edge.phase === 'disconnected') this.addTimeline(edge, { at: arrived, event: 'recovered', detail: 'traffic after disconnect' });
        this.setPhase(edge, 'up', arrived);
      }
      this.dirtyEdges.add(edge.id);
    }
  }

  /** Which edges a socket's traffic belongs to: by routing id where it has one, else all its connections. */
  private trafficEdges(socket: SocketRec, peer: Bin | undefined): EdgeRec[] {
    const connectEdges: EdgeRec[] = [];
    for (const ids of socket.connectEdges.values()) for (const id of ids) {
      const edge = this.edges.get(id);
      if (edge) connectEdges.push(edge);
    }
    if (peer !== undefined) {
      // A connecting ROUTER knows its binder by the binder's routing id.
      const toPeer = connectEdges.filter((e) => this.sockets.get(e.to)?.routingId?.hex === peer.hex);
      if (toPeer.length > 0) return toPeer;
      if (socket.binds.length > 0 || connectEdges.length === 0) {
        const edge = this.peerEdge(socket, peer);
        return edge ? [edge] : [];
      }
      return connectEdges.length === 1 ? connectEdges : [];
    }
    if (connectEdges.length > 0) return connectEdges;
    return this.edgesOf(socket, 'bound');
  }

  private disconnectMsg(node: NodeRec, msg: DisconnectMsgMsg, at: number): void {
    const socket = this.sockets.get(`${node.id}/${msg.socket}`);
    if (!socket) {
      this.discard('unknown-socket');
      return;
    }
    this.resolveIfDirty();
    const edge = this.peerEdge(socket, msg.peer);
    if (!edge) return;
    const message = msg.text ? binLabel(msg.text) : null;
    const entry: TimelineEntry = { at, event: 'disconnect-msg', detail: message ?? `peer ${binLabel(msg.peer)}` };
    // It ends the previous connection with that routing id, whose loss is already shown, when the edge is
    // up since after the ROUTER read it (handshake or traffic; the two ends' telemetry travels apart), or
    // has not been up since its last loss (connecting, retrying), or is a replacing DEALER's new edge.
    const previous = edge.phase === 'disconnected' ? undefined : this.previousPeerEdge(socket, msg.peer, edge);
    if (edge.phase === 'up' ? at < edge.phaseAt : edge.phase !== 'disconnected' && (edge.touched || previous !== undefined)) {
      if (previous) {
        this.addTimeline(previous, entry);
        this.disconnectEdge(previous.id, REASONS.disconnectMsg, message, at);
      } else {
        this.addTimeline(edge, entry);
        edge.lastDisconnect = combineDisconnect(edge.lastDisconnect, true, { at, message, reason: REASONS.disconnectMsg });
        this.dirtyEdges.add(edge.id);
      }
      return;
    }
    this.addTimeline(edge, entry);
    this.disconnectEdge(edge.id, REASONS.disconnectMsg, message, at);
  }

  /** The latest other socket's edge to `router` with the same routing id (a replaced DEALER), if kept. */
  private previousPeerEdge(router: SocketRec, peer: Bin, current: EdgeRec): EdgeRec | undefined {
    let found: EdgeRec | undefined;
    for (const claimant of this.byRoutingId.get(peer.hex) ?? []) {
      if (claimant.id === current.from) continue;
      for (const edge of this.pick([...claimant.connectEdges.values()].flat())) {
        if (edge.to === router.id && (!found || edge.phaseAt > found.phaseAt)) found = edge;
      }
    }
    return found;
  }

  private close(node: NodeRec, socketNumber: number, at: number): void {
    const socket = this.sockets.get(`${node.id}/${socketNumber}`);
    if (!socket) {
      this.discard('unknown-socket');
      return;
    }
    socket.closed = true;
    for (const edge of this.edgesOf(socket)) this.disconnectEdge(edge.id, REASONS.socketClosed, null, at);
    this.dirtySockets.add(socket.id);
    this.topologyDirty = true;
  }

  private exitNode(node: NodeRec, reason: string, at: number): void {
    node.exitedAt = at;
    this.urgentChange = true;
    this.dirtyNodes.add(node.id);
    for (const socketId of this.socketsByNode.get(node.id) ?? []) {
      for (const edge of this.edgesOf(this.sockets.get(socketId))) {
        this.addTimeline(edge, { at, event: 'disconnect', detail: `${REASONS.processExited} (${reason})` });
        this.disconnectEdge(edge.id, REASONS.processExited, null, at);
      }
    }
    this.topologyDirty = true;
  }

  // ─── edges ──────────────────────────────────────────────────────────────────────────────────────

  private disconnectEdge(edgeId: string, reason: string, message: string | null, at: number): void {
    const edge = this.edges.get(edgeId);
    if (!edge) return;
    const sameLoss = edge.phase === 'disconnected';
    edge.lastDisconnect = combineDisconnect(edge.lastDisconnect, sameLoss, { at, message, reason });
    edge.touched = true;
    if (!sameLoss) this.setPhase(edge, 'disconnected', at);
    this.dirtyEdges.add(edgeId);
  }

  private setPhase(edge: EdgeRec, phase: EdgePhase, at: number): void {
    if (phase !== edge.phase && (phase === 'disconnected' || phase === 'retrying')) this.urgentChange = true;
    edge.phase = phase;
    edge.phaseAt = at;
  }

  private addTimeline(edge: EdgeRec, entry: TimelineEntry): void {
    const max = this.options.timelineLength;
    const kept = edge.timeline.length >= max ? edge.timeline.slice(edge.timeline.length - max + 1) : edge.timeline;
    edge.timeline = max > 0 ? appended(kept, entry) : NO_TIMELINE;
  }

  /** Adds counts to the edge's (shown side's) message types; past the cap, new names are summed under "(other)". */
  private addTypes(edge: EdgeRec, types: Record<string, number> | TypeCounts, cumulative: boolean): void {
    const pairs = Array.isArray(types) ? types : undefined;
    const names = pairs ? undefined : Object.keys(types);
    const n = pairs ? pairs.length / 2 : names!.length;
    if (n === 0) return;
    let into = (edge.types ??= []);
    for (let k = 0; k < n; k++) {
      const name = pairs ? (pairs[2 * k] as string) : names![k];
      const count = pairs ? (pairs[2 * k + 1] as number) : (types as Record<string, number>)[name];
      let key = name;
      let at = typeIndex(into, name);
      if (at < 0 && into.length / 2 >= this.limits.messageTypesPerEdge) {
        key = OTHER_TYPES;
        at = typeIndex(into, OTHER_TYPES);
      }
      if (at < 0) {
        at = into.length;
        edge.types = into = appended(appended(into, key), 0); // a new name is rare: keep the list exact-size
      }
      const before = into[at + 1] as number;
      into[at + 1] = cumulative && key !== OTHER_TYPES ? Math.max(before, count) : before + count;
    }
  }

  private ensureEdge(from: SocketRec, to: SocketRec, endpoint: string): EdgeRec | undefined {
    const id = `${from.id}->${to.id}@${endpoint}`;
    const existing = this.edges.get(id);
    if (existing) return existing;
    if (this.edges.size >= this.limits.edges) {
      this.discard('cap:edges');
      return undefined;
    }
    const edge: EdgeRec = {
      id, from: from.id, to: to.id, endpoint,
      ...(ROUTER_LIKE.has(to.type) && from.routingId ? { routingId: from.routingId, attribution: 'routing-id' as const } : {}),
      phase: 'connecting', phaseAt: 0, touched: false, lastHeartbeat: undefined, lastMessage: undefined,
      fromReports: false, rates: undefined, types: undefined, lastDisconnect: null, retries: undefined,
      timeline: NO_TIMELINE, sweptState: 'connecting',
      sentState: undefined, sentHeartbeatAt: undefined, sentMessageAt: undefined, sentOut: 0, sentIn: 0, sentStorm: false,
    };
    this.edges.set(id, edge);
    to.boundEdges ??= new Map();
    let onEndpoint = to.boundEdges.get(endpoint);
    if (!onEndpoint) to.boundEdges.set(endpoint, (onEndpoint = new Set()));
    onEndpoint.add(edge);
    from.fromEdges = appended(from.fromEdges, edge);
    if (from.conns) to.pairingDirty = true;
    this.dirtyEdges.add(id);
    return edge;
  }

  /** Folds what was learnt on a provisional edge (to/from an unknown peer) into the real one. */
  private mergeEdge(source: EdgeRec, target: EdgeRec): void {
    if (source === target) return;
    if (source.lastMessage !== undefined && (target.lastMessage === undefined || source.lastMessage > target.lastMessage)) target.lastMessage = source.lastMessage;
    if (source.lastHeartbeat !== undefined && (target.lastHeartbeat === undefined || source.lastHeartbeat > target.lastHeartbeat)) target.lastHeartbeat = source.lastHeartbeat;
    // Only the shown side's counts are kept (EdgeRec.fromReports): the connector's win over the binder's.
    if (source.fromReports && !target.fromReports) {
      target.fromReports = true;
      target.rates = source.rates;
      target.types = source.types?.slice();
    } else if (source.fromReports === target.fromReports) {
      if (source.rates) rateAbsorb(target.rates ??= newRateRing(), source.rates);
      if (source.types) this.addTypes(target, source.types, false);
    }
    if (source.retries) (target.retries ??= new RetryWindow(this.options.retryStorm.count, this.options.retryStorm.windowMs)).absorb(source.retries);
    if (!target.touched || source.phaseAt > target.phaseAt) {
      target.phase = source.phase;
      target.phaseAt = source.phaseAt;
    }
    target.lastDisconnect ??= source.lastDisconnect;
    target.routingId ??= source.routingId;
    target.timeline = [...source.timeline, ...target.timeline].sort((a, b) => a.at - b.at).slice(-this.options.timelineLength);
    target.touched ||= source.touched;
    this.dirtyEdges.add(target.id);
    this.removeEdge(source.id);
  }

  private removeEdge(id: string): void {
    const edge = this.edges.get(id);
    if (!edge) return;
    this.edges.delete(id);
    const bound = this.sockets.get(edge.to)?.boundEdges;
    const onEndpoint = bound?.get(edge.endpoint);
    onEndpoint?.delete(edge);
    if (onEndpoint?.size === 0) bound?.delete(edge.endpoint);
    const from = this.sockets.get(edge.from);
    if (from) from.fromEdges = from.fromEdges.filter((e) => e !== edge);
    this.dirtyEdges.delete(id);
    this.removedEdges.add(id);
  }

  // ─── resolution ─────────────────────────────────────────────────────────────────────────────────

  private resolveIfDirty(): void {
    if (this.topologyDirty) this.resolve();
  }

  /** Recomputes which socket each connect reaches and which socket each ROUTER peer is. */
  private resolve(): void {
    this.topologyDirty = false;
    const binders = new Map<string, { socket: SocketRec; endpoint: string }[]>();
    this.byRoutingId = new Map();
    for (const socket of this.sockets.values()) {
      if (socket.unknown) continue;
      const node = this.nodes.get(socket.nodeId);
      if (!node) continue;
      if (socket.routingId) {
        // Exact-size arrays: a push would reserve room for 17 (most routing ids have one claimant).
        const list = this.byRoutingId.get(socket.routingId.hex);
        this.byRoutingId.set(socket.routingId.hex, list ? [...list, socket] : [socket]);
      }
      // Only a live process's open socket can accept a new connection.
      if (socket.closed || node.exitedAt !== undefined) continue;
      for (const bind of socket.binds) {
        const endpoint = bindDisplay(bind);
        for (const key of matchKeys(endpoint, node.host, node.id)) {
          const list = binders.get(key) ?? [];
          if (!list.some((b) => b.socket === socket)) list.push({ socket, endpoint });
          binders.set(key, list);
        }
      }
    }

    for (const socket of [...this.sockets.values()]) {
      const node = this.nodes.get(socket.nodeId);
      if (socket.unknown || socket.closed || !node || node.exitedAt !== undefined) continue;
      const previous = socket.connectEdges;
      socket.connectEdges = new Map();
      for (const connect of socket.connects) {
        const endpoint = bindDisplay(connect);
        const targets: { socket: SocketRec; endpoint: string }[] = [];
        for (const key of matchKeys(endpoint, node.host, node.id)) {
          for (const b of binders.get(key) ?? []) if (b.socket !== socket && !targets.some((t) => t.socket === b.socket)) targets.push(b);
        }
        const earlier = (previous.get(endpoint) ?? []).filter((id) => {
          const edge = this.edges.get(id);
          return edge !== undefined && this.sockets.get(edge.to)?.unknown !== true;
        });
        if (targets.length === 0 && earlier.length > 0) {
          // Its binder went away: the connect stays on that (now disconnected) edge until another binds.
          socket.connectEdges.set(endpoint, earlier);
          continue;
        }
        if (targets.length === 0) {
          const placeholder = this.endpointPeer(endpoint, node);
          if (placeholder) targets.push({ socket: placeholder, endpoint });
        }
        const edgeIds: string[] = [];
        for (const target of targets) {
          const edge = this.ensureEdge(socket, target.socket, target.endpoint);
          if (edge) edgeIds.push(edge.id);
        }
        socket.connectEdges.set(endpoint, edgeIds.slice()); // exact size: one edge per connect is the rule
        // A connect that was waiting on a placeholder now reaches a real binder: move its history over.
        for (const oldId of previous.get(endpoint) ?? []) {
          const old = this.edges.get(oldId);
          if (!old || edgeIds.includes(oldId) || !this.sockets.get(old.to)?.unknown) continue;
          const target = edgeIds.length === 1 ? this.edges.get(edgeIds[0]) : undefined;
          if (target) this.mergeEdge(old, target);
        }
      }
    }

    for (const socket of this.sockets.values()) {
      if (socket.closed || !socket.peers) continue;
      if (socket.pairingDirty) this.pairRouter(socket);
      for (const peer of socket.peers.values()) {
        const current = peer.edgeId === undefined ? undefined : this.edges.get(peer.edgeId);
        const found = this.attributePeer(socket, peer, current);
        if (!found) continue;
        if (found.edge === current) {
          if (peer.how !== found.how) this.assignPeer(peer, current, found.how);
          continue;
        }
        if (current && this.sockets.get(current.from)?.unknown) this.mergeEdge(current, found.edge);
        else if (current?.routingId?.hex === peer.peer.hex) {
          // Evidence moved the peer to another socket: the edge it leaves no longer knows its id.
          current.routingId = undefined;
          current.attribution = undefined;
          this.dirtyEdges.add(current.id);
        }
        this.assignPeer(peer, found.edge, found.how);
      }
    }
    this.dropOrphans();
  }

  /** A ROUTER's record of a peer, made on first sight (the oldest is forgotten past PEERS_PER_SOCKET). */
  private peerRec(router: SocketRec, peer: Bin): PeerRec {
    const peers = (router.peers ??= new Map());
    let rec = peers.get(peer.hex);
    if (!rec) {
      if (peers.size >= PEERS_PER_SOCKET) {
        // Forget the oldest mapping (its edge stays); that peer is attributed afresh if it speaks again.
        peers.delete(peers.keys().next().value as string);
        this.discard('cap:forgotten-peers');
      }
      rec = { peer };
      peers.set(peer.hex, rec);
      router.pairingDirty = true;
    }
    return rec;
  }

  /** The edge for a ROUTER's peer, attributing the peer on first sight. */
  private peerEdge(router: SocketRec, peer: Bin): EdgeRec | undefined {
    const rec = this.peerRec(router, peer);
    const current = rec.edgeId === undefined ? undefined : this.edges.get(rec.edgeId);
    if (current) return current;
    if (router.pairingDirty) this.pairRouter(router);
    const found = this.attributePeer(router, rec, undefined);
    if (!found) return undefined;
    this.assignPeer(rec, found.edge, found.how);
    return found.edge;
  }

  private assignPeer(rec: PeerRec, edge: EdgeRec, how: Attribution): void {
    rec.edgeId = edge.id;
    rec.how = how;
    if (edge.routingId?.hex !== rec.peer.hex) edge.routingId = rec.peer;
    edge.attribution = how;
    this.dirtyEdges.add(edge.id);
  }

  /**
   * Which edge a ROUTER's peer is, and how that was decided: the socket that set routing id R; else
   * the connection whose first messages fit the peer's (pairRouter); else, with no message evidence
   * either way, the single connecting socket not otherwise accounted for; else an "unknown peer R".
   */
  private attributePeer(router: SocketRec, rec: PeerRec, current: EdgeRec | undefined): { edge: EdgeRec; how: Attribution } | undefined {
    const peer = rec.peer;
    const live = (s: SocketRec): boolean => !s.closed && this.nodes.get(s.nodeId)?.exitedAt === undefined;
    // A reused routing id (a worker replacing its socket) is the open socket's, not a closed one's.
    const claimants = (this.byRoutingId.get(peer.hex) ?? []).filter((s) => s !== router).sort((a, b) => Number(live(b)) - Number(live(a)));
    for (const claimant of claimants) {
      for (const edgeId of [...claimant.connectEdges.values()].flat()) {
        const edge = this.edges.get(edgeId);
        if (edge?.to === router.id) return { edge, how: 'routing-id' };
      }
    }
    const liveClaimants = claimants.filter(live);
    const claimant = liveClaimants.length === 1 ? liveClaimants[0] : claimants.length === 1 ? claimants[0] : undefined;
    if (claimant) {
      const edge = this.ensureEdge(claimant, router, router.binds[0] ? bindDisplay(router.binds[0]) : '');
      return edge && { edge, how: 'routing-id' };
    }
    const paired = router.pairings?.get(peer.hex);
    const pairedEdge = paired === undefined ? undefined : this.edges.get(paired.edgeId);
    if (pairedEdge && paired) return { edge: pairedEdge, how: paired.how };
    // A socket that logged its messages is someone else when the peer's own messages fit none of its connections.
    const peerSpoke = (rec.first?.in.length ?? 0) > 0;
    const contradicts = (from: SocketRec): boolean => peerSpoke && from.conns !== undefined && from.conns.some((c) => c.out.length > 0);
    // An earlier attribution stands until evidence says otherwise.
    const currentFrom = current === undefined ? undefined : this.sockets.get(current.from);
    if (current && currentFrom && !currentFrom.unknown && !contradicts(currentFrom)) return { edge: current, how: rec.how ?? 'only-candidate' };

    const accountedFor = new Set<string>();
    for (const other of router.peers?.values() ?? []) {
      const edge = other.peer.hex === peer.hex || other.edgeId === undefined ? undefined : this.edges.get(other.edgeId);
      if (edge && edge.phase !== 'disconnected') accountedFor.add(edge.from);
    }
    const connectors = new Map<string, EdgeRec>();
    for (const edge of this.edgesOf(router, 'bound')) {
      const from = this.sockets.get(edge.from);
      if (!from || from.unknown || from.routingId || accountedFor.has(from.id)) continue;
      if (contradicts(from)) continue;
      if ([...from.connectEdges.values()].some((ids) => ids.includes(edge.id))) connectors.set(from.id, edge);
    }
    if (connectors.size === 1) return { edge: [...connectors.values()][0], how: 'only-candidate' };
    if (current && currentFrom?.unknown) return { edge: current, how: 'unknown' };
    const edge = this.unknownPeer(router, peer);
    return edge && { edge, how: 'unknown' };
  }

  /**
   * Pairs the ROUTER's anonymous peers with its connectors' connections by their first messages
   * (attribution.ts). Settled peers (paired, their edge since disconnected) keep their pairing and
   * their connection; a connection of a socket with one connect endpoint goes to one peer in all.
   */
  private pairRouter(router: SocketRec): void {
    router.pairingDirty = false;
    const previous = router.pairings;
    const kept = new Map<string, { edgeId: string; how: EvidenceKind; connection: string }>();
    const peers: PeerEvidence[] = [];
    let routerLog: FirstLogRec | undefined;
    for (const rec of router.peers?.values() ?? []) {
      if (!rec.first || this.byRoutingId.has(rec.peer.hex)) continue;
      const before = previous?.get(rec.peer.hex);
      if (before && this.edges.get(before.edgeId)?.phase === 'disconnected') {
        kept.set(rec.peer.hex, before);
        continue;
      }
      if (before && this.connOwner.get(before.connection) === router.id) this.connOwner.delete(before.connection);
      routerLog ??= rec.first;
      peers.push({ key: rec.peer.hex, in: rec.first.in, out: rec.first.out });
    }
    router.pairings = kept.size > 0 ? kept : undefined;
    if (peers.length === 0 || !routerLog) return;
    const connections: ConnectionEvidence[] = [];
    const edgeOf = new Map<string, EdgeRec>();
    for (const edge of this.edgesOf(router, 'bound')) {
      const from = this.sockets.get(edge.from);
      if (!from?.conns || from.unknown || from.routingId) continue;
      for (const log of from.conns) {
        const key = `${from.id}#${log.conn}`;
        // One host, one clock: stamps compare as they are (each offset holds some transport delay);
        // across hosts, or clocks that disagree, through each agent's offset.
        const apart = log.offset - routerLog.offset;
        const shift = log.host === routerLog.host && Math.abs(apart) < SAME_CLOCK_MS ? 0 : apart;
        const moved = (stamps: readonly Stamp[]): readonly Stamp[] => (shift === 0 ? stamps : stamps.map(([t, fp]) => [t + shift, fp] as const));
        connections.push({ key, out: moved(log.out), in: moved(log.in) });
        edgeOf.set(key, edge);
      }
    }
    const taken = new Set<string>();
    for (const [key, owner] of this.connOwner) if (owner !== router.id) taken.add(key);
    for (const pairing of kept.values()) taken.add(pairing.connection);
    const pairs = pairPeers(peers, connections, taken);
    if (pairs.size === 0) return;
    const pairings = (router.pairings ??= new Map());
    for (const [hex, pairing] of pairs) {
      const edge = edgeOf.get(pairing.connection);
      if (!edge) continue;
      pairings.set(hex, { edgeId: edge.id, how: pairing.how, connection: pairing.connection });
      // A socket connected to several endpoints logs its connections together: not one peer's alone.
      if ((this.sockets.get(edge.from)?.connects.length ?? 0) <= 1) this.connOwner.set(pairing.connection, router.id);
    }
  }

  /** What a socket's traffic record says about its first messages (evidence for pairRouter). */
  private firstMessages(node: NodeRec, socket: SocketRec, peer: Bin | undefined, first: FirstMessages, offset: number): void {
    const log = { in: first.in, out: first.out, host: node.host, offset };
    if (peer !== undefined) {
      if (!ROUTER_LIKE.has(socket.type)) return;
      this.peerRec(socket, peer).first = log;
      socket.pairingDirty = true;
      this.topologyDirty = true;
      return;
    }
    if (socket.routingId) return; // attributed by its id
    const conn = first.conn ?? 1;
    const conns = (socket.conns ?? []).filter((c) => c.conn !== conn);
    conns.push({ ...log, conn });
    conns.sort((a, b) => a.conn - b.conn);
    socket.conns = conns.length > CONNECTIONS_KEPT ? conns.slice(-CONNECTIONS_KEPT) : conns;
    for (const edge of socket.fromEdges) {
      const to = this.sockets.get(edge.to);
      if (to) to.pairingDirty = true;
    }
    this.topologyDirty = true;
  }

  private unknownPeer(router: SocketRec, peer: Bin): EdgeRec | undefined {
    const routerNode = this.nodes.get(router.nodeId);
    const socket = this.syntheticSocket(`?peer:${router.id}:${peer.hex}`, `unknown peer ${binLabel(peer)}`, routerNode?.host ?? '', peer, []);
    return socket && this.ensureEdge(socket, router, router.binds[0] ? bindDisplay(router.binds[0]) : '');
  }

  /** A connect that reaches no known binder goes to a placeholder for the endpoint, so it stays visible. */
  private endpointPeer(endpoint: string, node: NodeRec): SocketRec | undefined {
    const key = matchKeys(endpoint, node.host, node.id)[0] ?? endpoint;
    return this.syntheticSocket(`?endpoint:${key}`, `unknown peer at ${endpoint}`, node.host, undefined, [endpoint]);
  }

  private syntheticSocket(nodeId: string, name: string, host: string, routingId: Bin | undefined, binds: string[]): SocketRec | undefined {
    const id = `${nodeId}/0`;
    const existing = this.sockets.get(id);
    if (existing) return existing;
    if (this.unknownPeers >= this.limits.unknownPeers) {
      this.discard('cap:unknown-peers');
      return undefined;
    }
    const now = this.now();
    this.unknownPeers++;
    this.nodes.set(nodeId, {
      id: nodeId, pid: 0, host, instance: '', name, title: 'unknown peer', runtime: UNKNOWN_RUNTIME, agent: { name: 'none', version: '' },
      startedAt: now, lastSeenAt: now, dropped: 0, malformed: 0, unknown: true, sentLastSeenAt: now,
    });
    this.socketsByNode.set(nodeId, new Set([id]));
    const socket: SocketRec = {
      id, nodeId, type: 'UNKNOWN', name, ...(routingId ? { routingId } : {}), options: { disconnectMsg: false },
      binds: binds.map((b) => ({ requested: b })), connects: [], closed: false, unknown: true, connectEdges: new Map(), fromEdges: NO_EDGES,
    };
    this.sockets.set(id, socket);
    this.dirtyNodes.add(nodeId);
    this.dirtySockets.add(id);
    return socket;
  }

  /** Placeholders nothing points at any more go away. */
  private dropOrphans(): void {
    for (const socket of [...this.sockets.values()]) {
      if (!socket.unknown || socket.fromEdges.length > 0 || (socket.boundEdges?.size ?? 0) > 0) continue;
      this.removeSocket(socket.id);
      this.removeNode(socket.nodeId);
      this.unknownPeers--;
    }
    for (const socket of this.sockets.values()) {
      for (const [hex, peer] of socket.peers ?? []) if (peer.edgeId !== undefined && !this.edges.has(peer.edgeId)) socket.peers?.delete(hex);
    }
  }

  private removeSocket(id: string): void {
    const socket = this.sockets.get(id);
    if (!socket) return;
    for (const edge of this.edgesOf(socket)) this.removeEdge(edge.id);
    for (const log of socket.conns ?? []) this.connOwner.delete(`${id}#${log.conn}`);
    this.sockets.delete(id);
    this.socketsByNode.get(socket.nodeId)?.delete(id);
    this.dirtySockets.delete(id);
    this.removedSockets.add(id);
  }

  private removeNode(id: string): void {
    this.nodes.delete(id);
    this.socketsByNode.delete(id);
    this.dirtyNodes.delete(id);
    this.removedNodes.add(id);
  }

  private evictClosedSocket(): boolean {
    for (const socket of this.sockets.values()) {
      if (socket.closed && !socket.unknown) {
        this.removeSocket(socket.id);
        this.discard('cap:evicted-closed-sockets');
        this.topologyDirty = true;
        return true;
      }
    }
    return false;
  }

  private discard(cause: string): void {
    this.discarded[cause] = (this.discarded[cause] ?? 0) + 1;
    this.collectorDirty = true;
  }

  // ─── time: sweep and notifications ──────────────────────────────────────────────────────────────

  private edgeStateNow(edge: EdgeRec, now: number): EdgeState {
    return edgeState(edge.phase, this.edgeExited(edge), livenessAge(now, edge.lastHeartbeat, edge.lastMessage), this.thresholds);
  }

  private edgeExited(edge: EdgeRec): boolean {
    const exited = (socketId: string) => {
      const socket = this.sockets.get(socketId);
      return socket !== undefined && this.nodes.get(socket.nodeId)?.exitedAt !== undefined;
    };
    return exited(edge.from) || exited(edge.to);
  }

  private nodeState(node: NodeRec, now: number): NodeState {
    if (node.exitedAt !== undefined) return 'exited';
    if (!node.unknown && now - node.lastSeenAt > this.options.deadAfterMs) return 'stale';
    return 'live';
  }

  /**
   * The one periodic job: liveness transitions onto the timelines, then a (throttled) notification.
   * An edge that crosses a threshold before the next sweep gets a sweep of its own at that moment, so
   * "late" and "dead" show when they are due, not up to one sweep interval later.
   */
  private sweep(): void {
    const now = this.now();
    const { warnAfterMs, deadAfterMs } = this.thresholds;
    let nextDue = Infinity;
    for (const edge of this.edges.values()) {
      const state = this.edgeStateNow(edge, now);
      if (state === 'connected' || state === 'late') {
        const ref = edge.lastHeartbeat ?? edge.lastMessage;
        if (ref !== undefined) nextDue = Math.min(nextDue, ref + (state === 'connected' ? warnAfterMs : deadAfterMs) + 1);
      }
      if (state === edge.sweptState) continue;
      const was = edge.sweptState;
      edge.sweptState = state;
      const age = livenessAge(now, edge.lastHeartbeat, edge.lastMessage);
      const detail = age === null ? undefined : `${edge.lastHeartbeat !== undefined ? 'heartbeat' : 'traffic'} age ${age} ms`;
      const entry = (event: TimelineEntry['event']) => this.addTimeline(edge, { at: now, event, ...(detail ? { detail } : {}) });
      if (state === 'late' || state === 'dead') this.urgentChange = true;
      if (state === 'late') entry('heartbeat-late');
      else if (state === 'dead') entry('heartbeat-dead');
      else if (state === 'connected' && (was === 'late' || was === 'dead')) entry('recovered');
      this.dirtyEdges.add(edge.id);
    }
    this.scheduleDueSweep(now, nextDue);
    if (this.listeners.size > 0) this.scheduleNotify();
    else this.forgetChanges();
  }

  private scheduleDueSweep(now: number, dueAt: number): void {
    clearTimeout(this.dueTimer);
    this.dueTimer = undefined;
    if (!this.sweepTimer || dueAt >= now + this.options.sweepIntervalMs) return;
    // Edges due one after another (heartbeats at many phases) cost at most one extra sweep per gap.
    this.dueTimer = setTimeout(() => this.sweep(), Math.max(DUE_SWEEP_GAP_MS, dueAt - now));
    this.dueTimer.unref();
  }

  private changed(): void {
    if (this.listeners.size > 0) this.scheduleNotify();
  }

  private scheduleNotify(): void {
    const now = this.now();
    const interval = this.urgentChange ? Math.min(URGENT_NOTIFY_MS, this.options.notifyIntervalMs) : this.options.notifyIntervalMs;
    const dueAt = Math.max(now, this.lastNotifyAt + interval);
    if (this.notifyTimer) {
      if (dueAt >= this.notifyDueAt) return;
      clearTimeout(this.notifyTimer);
    }
    this.notifyDueAt = dueAt;
    this.notifyTimer = setTimeout(() => this.notify(), dueAt - now);
    this.notifyTimer.unref();
  }

  private forgetChanges(): void {
    for (const set of [this.dirtyNodes, this.dirtySockets, this.dirtyEdges, this.removedNodes, this.removedSockets, this.removedEdges]) set.clear();
    this.collectorDirty = false;
  }

  private notify(): void {
    this.notifyTimer = undefined;
    this.notifyDueAt = Infinity;
    const urgent = this.urgentChange;
    this.urgentChange = false;
    this.resolveIfDirty();
    const now = this.now();
    this.lastNotifyAt = now;
    const diff: TopologyDiff = { takenAt: now };
    const nodes: NodeView[] = [];
    for (const node of this.nodes.values()) {
      const state = this.nodeState(node, now);
      if (this.dirtyNodes.has(node.id) || state !== node.sentState || node.lastSeenAt - node.sentLastSeenAt >= LAST_SEEN_RESOLUTION_MS) {
        node.sentState = state;
        node.sentLastSeenAt = node.lastSeenAt;
        nodes.push(this.nodeView(node, now));
      }
    }
    const sockets: SocketView[] = [];
    for (const id of this.dirtySockets) {
      const socket = this.sockets.get(id);
      if (socket) sockets.push(this.socketView(socket));
    }
    const edges: EdgeView[] = [];
    for (const edge of this.edges.values()) {
      // What changes with the clock, without building the view: most edges are unchanged between diffs.
      const exited = this.edgeExited(edge);
      const state = edgeState(edge.phase, exited, livenessAge(now, edge.lastHeartbeat, edge.lastMessage), this.thresholds);
      const [out, inbound] = rateOf(edge.rates, now);
      const storm = edge.retries?.storm(now) ?? false;
      const same = edge.sentState === state && edge.sentHeartbeatAt === edge.lastHeartbeat && edge.sentMessageAt === edge.lastMessage &&
        edge.sentOut === out && edge.sentIn === inbound && edge.sentStorm === storm;
      if (same && !this.dirtyEdges.has(edge.id)) continue;
      edge.sentState = state;
      edge.sentHeartbeatAt = edge.lastHeartbeat;
      edge.sentMessageAt = edge.lastMessage;
      edge.sentOut = out;
      edge.sentIn = inbound;
      edge.sentStorm = storm;
      edges.push(this.edgeView(edge, now, exited));
    }
    if (nodes.length) diff.nodes = nodes;
    if (sockets.length) diff.sockets = sockets;
    if (edges.length) diff.edges = edges;
    if (this.removedNodes.size) diff.removedNodes = [...this.removedNodes];
    if (this.removedSockets.size) diff.removedSockets = [...this.removedSockets];
    if (this.removedEdges.size) diff.removedEdges = [...this.removedEdges];
    const collector = this.collectorDirty ? this.collectorView() : undefined;
    if (collector) diff.collector = collector;
    this.forgetChanges();
    if (Object.keys(diff).length === 1) return;
    if (urgent) diff.urgent = true;
    for (const listener of [...this.listeners]) {
      try {
        listener(diff);
      } catch {
        // A failing view must not stop the others from hearing about changes.
      }
    }
  }

  // ─── views ──────────────────────────────────────────────────────────────────────────────────────

  private collectorView(): CollectorStatus | undefined {
    const discarded = Object.keys(this.discarded).length > 0 ? { discarded: { ...this.discarded } } : {};
    if (!this.collector) return Object.keys(discarded).length ? { endpoint: '', listening: false, malformed: {}, agents: 0, ...discarded } : undefined;
    return { ...this.collector, malformed: { ...this.collector.malformed }, ...discarded };
  }

  private nodeView(node: NodeRec, now: number): NodeView {
    return {
      id: node.id, pid: node.pid, host: node.host, name: node.name, title: node.title, runtime: node.runtime, agent: node.agent,
      state: this.nodeState(node, now),
      ...(node.probe ? { probe: true } : {}),
      ...(node.unknown ? { unknown: true } : {}),
      startedAt: node.startedAt, lastSeenAt: node.lastSeenAt,
      ...(node.exitedAt !== undefined ? { exitedAt: node.exitedAt } : {}),
      dropped: node.dropped, malformed: node.malformed,
    };
  }

  private socketView(socket: SocketRec): SocketView {
    return {
      id: socket.id, nodeId: socket.nodeId, type: socket.type,
      ...(socket.name !== undefined ? { name: socket.name } : {}),
      ...(socket.routingId ? { routingId: socket.routingId } : {}),
      options: socket.options,
      ...(socket.site ? { site: socket.site } : {}),
      binds: socket.binds.map(bindDisplay),
      connects: socket.connects.map(bindDisplay),
      closed: socket.closed,
      ...(socket.unknown ? { unknown: true } : {}),
    };
  }

  private edgeView(edge: EdgeRec, now: number, exited = this.edgeExited(edge)): EdgeView {
    const heartbeatAgeMs = edge.lastHeartbeat === undefined ? null : Math.max(0, now - edge.lastHeartbeat);
    const trafficAgeMs = edge.lastMessage === undefined ? null : Math.max(0, now - edge.lastMessage);
    const [out, inbound] = rateOf(edge.rates, now);
    const messageTypes: [string, number][] = [];
    const types = edge.types ?? [];
    for (let k = 0; k < types.length; k += 2) messageTypes.push([types[k] as string, types[k + 1] as number]);
    const view: EdgeView = {
      id: edge.id, from: edge.from, to: edge.to, endpoint: edge.endpoint,
      ...(edge.routingId ? { routingId: edge.routingId } : {}),
      ...(edge.attribution ? { attribution: edge.attribution } : {}),
      state: edgeState(edge.phase, exited, heartbeatAgeMs ?? trafficAgeMs, this.thresholds),
      heartbeatAgeMs, trafficAgeMs,
      rates: { out, in: inbound },
      // fromEntries defines own properties, so a type named "__proto__" stays a plain key.
      messageTypes: Object.fromEntries(messageTypes),
      lastDisconnect: edge.lastDisconnect,
      retryStorm: edge.retries?.storm(now) ?? false,
      timeline: edge.timeline.slice(),
    };
    if (exited) view.exited = true;
    return view;
  }
}

/** Strings that repeat in timelines (event addresses, errors) kept once, not once per edge. */
const interned = new Map<string, string>();
const INTERNED_STRINGS = 1024;

function intern<T extends string | undefined>(text: T): T {
  if (text === undefined) return text;
  const known = interned.get(text);
  if (known !== undefined) return known as T;
  if (interned.size >= INTERNED_STRINGS) interned.clear();
  interned.set(text, text);
  return text;
}

/**
 * `list` + `item` in an array of exactly that length. Spreads and pushes reserve room for 16 more
 * elements, which on thousands of edges with one or two entries each was most of their arrays' size.
 */
function appended<T>(list: readonly T[], item: T): T[] {
  const out = new Array<T>(list.length + 1);
  for (let i = 0; i < list.length; i++) out[i] = list[i];
  out[list.length] = item;
  return out;
}

/** Where `name` sits in a flat [name, count, …] list, or -1. */
function typeIndex(types: TypeCounts, name: string): number {
  for (let k = 0; k < types.length; k += 2) if (types[k] === name) return k;
  return -1;
}

/** The later of two optional times. */
function latestOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined || a >= b ? a : b;
}

function endpointRec(requested: string, resolved: string | undefined): EndpointRec {
  return resolved === undefined ? { requested } : { requested, resolved };
}

/** An endpoint as shown and matched: the resolved form when known (wildcard port filled in). */
function bindDisplay(e: EndpointRec): string {
  return e.resolved ?? e.requested;
}

/** "worker.js" from ["node", "/app/worker.js", …]; undefined when argv names no script. */
function scriptName(argv: string[]): string | undefined {
  const script = argv.slice(1).find((a) => !a.startsWith('-'));
  return script ? script.split(/[\\/]/).pop() : undefined;
}
