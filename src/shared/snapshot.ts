/**
 * The resolved topology as the views, the CLI and exports see it. Plain JSON; docs/SNAPSHOT.md
 * documents it for people who consume `zmq-topology collect --json` or Export Snapshot.
 * Times are milliseconds since the epoch on the collector's clock; ages are computed at `takenAt`.
 */
import type { Bin, CreationSite, MonitorEventType, Runtime, SocketOptions, SocketType } from './sockets';

export const SNAPSHOT_SCHEMA = 1;

/** Node (process) state: `stale` = no beat past the dead threshold; `exited` = its agent is gone. */
export type NodeState = 'live' | 'stale' | 'exited';

/** Edge state, in the order a connection lives through them. */
export type EdgeState = 'connecting' | 'connected' | 'quiet' | 'late' | 'dead' | 'retrying' | 'disconnected';

export const EDGE_STATES: readonly EdgeState[] = ['connecting', 'connected', 'quiet', 'late', 'dead', 'retrying', 'disconnected'];

export interface NodeView {
  /** Stable across collector restarts for one process: `${host}:${pid}:${instance}`. */
  id: string;
  pid: number;
  host: string;
  name: string;
  title: string;
  runtime: Runtime;
  agent: { name: string; version: string };
  state: NodeState;
  /** The process was started by the probe (agentless) path, not an agent. */
  probe?: boolean;
  /** Synthetic node for a peer no agent reports (an "unknown peer" routing id or endpoint); holds one unknown socket. */
  unknown?: boolean;
  startedAt: number;
  lastSeenAt: number;
  exitedAt?: number;
  /**
   * Telemetry the agent dropped while a collector listened (its own count: a problem) and frames the
   * collector refused from it.
   */
  dropped: number;
  /** Telemetry it could not send while no collector listened (normal before one starts; not a problem). */
  missed?: number;
  malformed: number;
  /**
   * How late its telemetry arrives (its latest message), when a second or more: a collector working
   * through a backlog, or an agent's queue. Its connections are shown as of what it had seen then.
   */
  behindMs?: number;
}

/** A process holding the other end of a connection that no agent reports, as the host's kernel table has it. */
export interface KernelPeer {
  /** The other end's address (`ip:port`). */
  address: string;
  /** The process holding it, when it runs on the collector's host and its fds can be read. */
  pid?: number;
  /** Its command line (at most 160 characters). */
  command?: string;
}

export interface SocketView {
  /** `${nodeId}/${agentSocketNumber}`. */
  id: string;
  nodeId: string;
  type: SocketType;
  name?: string;
  routingId?: Bin;
  options: SocketOptions;
  site?: CreationSite;
  binds: string[];
  connects: string[];
  closed: boolean;
  /** Synthetic node for a routing id no known socket claims ("unknown peer R"). */
  unknown?: boolean;
  /** Passed to a proxy that moves its messages natively: its traffic, peers' routing ids and heartbeats are not seen. */
  proxied?: boolean;
  /** Endpoint calls of the app's that failed and have not succeeded since, oldest first. */
  failed?: EndpointFailure[];
}

/** A bind, connect, unbind or disconnect the app called on a socket, and the error it got. */
export interface EndpointFailure {
  op: 'bind' | 'connect' | 'unbind' | 'disconnect';
  /** As the app asked for it. */
  endpoint: string;
  /** The error the app got, as the binding words it ("Address already in use"). */
  error: string;
  /** The latest failure. */
  at: number;
  /** How many times the app tried and failed (apps that retry a bind in a loop). */
  times: number;
  /** A failed bind: an open socket of a live process on the same host that had the endpoint bound then. */
  heldBy?: string;
}

export interface TimelineEntry {
  at: number;
  event: MonitorEventType | 'disconnect-msg' | 'heartbeat-late' | 'heartbeat-dead' | 'recovered';
  detail?: string;
}

export interface LastDisconnect {
  at: number;
  /** The app's disconnect message text (printable form, else hex); null when the app set none. */
  message: string | null;
  /** Why we believe it went: e.g. "peer process exited", "disconnect event", "heartbeat timeout". */
  reason: string;
}

export interface DirectionRates {
  /** Messages per second over the last rate window, from the connecting socket's side. */
  out: number;
  in: number;
}

/**
 * How a ROUTER's peer was tied to its connecting socket: `routing-id` (the socket set that id),
 * `content` (the first messages of the connection, seen at both ends, fit no other socket),
 * `timing` (several fit; the order the messages travelled decided), `only-candidate` (no message
 * evidence; the only connecting socket left), `unknown` (no instrumented socket fits: a peer
 * without an agent).
 */
export type Attribution = 'routing-id' | 'content' | 'timing' | 'only-candidate' | 'unknown';

export interface EdgeView {
  id: string;
  /** The connecting socket's id. */
  from: string;
  /** The binding socket's id. */
  to: string;
  endpoint: string;
  /** Routing id the bound ROUTER knows this peer by, when it has one. */
  routingId?: Bin;
  /** How the ROUTER's peer `routingId` was tied to the connecting socket (docs/SNAPSHOT.md, "Attribution"). */
  attribution?: Attribution;
  state: EdgeState;
  /** now − last heartbeat seen on this edge (either direction); null when none was ever seen. */
  heartbeatAgeMs: number | null;
  /** now − last message of any kind on this edge; null when none was ever seen. */
  trafficAgeMs: number | null;
  rates: DirectionRates;
  messageTypes: Record<string, number>;
  lastDisconnect: LastDisconnect | null;
  retryStorm: boolean;
  timeline: TimelineEntry[];
  /** Set when the edge belongs to a process that has exited (kept, marked, until cleared). */
  exited?: boolean;
  /**
   * Set when another live connection into the same ROUTER carries this edge's routing id: libzmq
   * serves only one of them (docs/SNAPSHOT.md, "Routing-id clashes").
   */
  routingIdClash?: RoutingIdClash;
  /**
   * The edge of a bound socket's *peers without an agent* (from a synthetic "peers without an agent"
   * node): how many connections it stands for now, the ones the socket's agent counts open that no
   * instrumented peer's edge accounts for (docs/SNAPSHOT.md, "Unknown peers"). 0 once they have all gone.
   */
  connections?: number;
  /**
   * With `connections`, when the binder runs on the collector's host (Linux): the connections to its
   * port from processes without an agent as the kernel has them, each with the process holding it
   * where that runs on this host too (collector/kernelPeers.ts). Read every 2 s while there are any.
   */
  kernelPeers?: KernelPeer[];
  /**
   * Set when the two sockets' types cannot talk (a PUSH connected to a PUB): libzmq refuses every
   * handshake, so no message passes however often it reconnects. The types, connecting side first.
   */
  incompatible?: { from: SocketType; to: SocketType };
  /**
   * Set on the edge of an unknown peer that the ROUTER only sent to: it never received a message from
   * that routing id, and no instrumented socket uses it. A ROUTER silently drops messages to a routing
   * id it has no connection for, so unless a process without an agent is connected with that id and
   * has said nothing, those sends went nowhere (the classic reply to the wrong identity).
   */
  unheard?: true;
}

export interface RoutingIdClash {
  /** The other connections with this routing id into the ROUTER (edge ids; may have gone since). */
  with: string[];
  /** Whether the ROUTER serves this connection: the first to connect, or the latest with handover. */
  serves: boolean;
  /** Whether the ROUTER's app set ZMQ_ROUTER_HANDOVER. */
  handover: boolean;
}

/** Where the extension's collector is in its life (the status bar, context keys and graph say it). */
export type CollectorPhase = 'starting' | 'running' | 'stopped' | 'failed';

export interface CollectorStatus {
  endpoint: string;
  listening: boolean;
  /** Frames refused by decode, per reason. */
  malformed: Record<string, number>;
  agents: number;
  /**
   * Telemetry the store received but could not keep, per cause: `before-hello`, `unknown-socket`,
   * or a size cap (`cap:nodes`, `cap:sockets`, `cap:edges`, `cap:unknown-peers`, `cap:evicted-closed-sockets`).
   * Absent while nothing was discarded.
   */
  discarded?: Record<string, number>;
  /** Set when the collector requires CURVE (always off loopback; docs/REMOTE.md). */
  curve?: boolean;
  /** Connection attempts refused by CURVE/ZAP since the collector started (present in CURVE mode). */
  refused?: number;
  /** The latest refusal: when, the peer's address when known (ZAP gives it), and why. */
  lastRefused?: { at: number; address?: string; reason: string };
}

export interface TopologySnapshot {
  schema: number;
  takenAt: number;
  collector?: CollectorStatus;
  nodes: NodeView[];
  sockets: SocketView[];
  edges: EdgeView[];
}

/** What changed since the previous notification; ids removed are listed, changed items sent whole. */
export interface TopologyDiff {
  takenAt: number;
  nodes?: NodeView[];
  sockets?: SocketView[];
  edges?: EdgeView[];
  removedNodes?: string[];
  removedSockets?: string[];
  removedEdges?: string[];
  collector?: CollectorStatus;
  /**
   * Set when the diff carries a connection going down (disconnected, dead, retrying) or a process
   * exiting: the store sent it without waiting for its rate limit, and consumers with a rate limit of
   * their own deliver it at once too, so the one event a user waits for is not held back by ~100 ms.
   */
  urgent?: true;
}
