/**
 * The telemetry wire format, agent → collector. One message = one ZeroMQ frame of UTF-8 JSON.
 * docs/PROTOCOL.md is the human-readable version of this file; keep them in step.
 *
 * Times are milliseconds since the epoch on the *agent's* clock. The collector never compares them
 * with its own clock directly: it converts with the offset between a message's `at` and its arrival.
 */

export const PROTOCOL_VERSION = 1;

/** Size caps applied by decode(); an agent must not exceed them. */
export const LIMITS = {
  frameBytes: 1024 * 1024,
  stringChars: 1024,
  endpointChars: 512,
  binBytes: 255,
  textBytes: 1024,
  socketsPerSnapshot: 4096,
  endpointsPerSocket: 256,
  failuresPerSocket: 8,
  peersPerTraffic: 4096,
  messageTypesPerPeer: 32,
  eventsPerSnapshot: 256,
  /** Entries each way in a connection's first-messages log (FirstMessages). */
  firstMessages: 4,
} as const;

// The socket vocabulary (Bin, socket and monitor event types, runtime, options, creation site) is
// shared with the model and the webview: defined in src/shared/sockets.ts, part of the wire format here.
export {
  MONITOR_EVENT_TYPES, SOCKET_TYPES, type Bin, type CreationSite, type MonitorEventType, type Runtime, type SocketOptions, type SocketType,
} from '../shared/sockets';
import type { Bin, CreationSite, MonitorEventType, Runtime, SocketOptions, SocketType } from '../shared/sockets';

export type EndpointOp = 'bind' | 'connect' | 'unbind' | 'disconnect';

export interface EndpointState {
  op: 'bind' | 'connect';
  requested: string;
  /** After wildcard resolution (`tcp://*:0` → `tcp://0.0.0.0:43121`); absent until known. */
  resolved?: string;
  at: number;
  /**
   * A connect whose connection is up now: when its handshake succeeded (agent clock). Absent while
   * it is not, and from agents that do not say. State, so a collector that missed the `handshake`
   * event (it started later, or restarted) still knows.
   */
  up?: number;
}

/**
 * The first messages of one connection, each way, as [time, fingerprint]: the evidence that ties an
 * anonymous ROUTER peer (auto routing id) to the socket at the other end. The time is milliseconds
 * with a microsecond fraction on the host's monotonic clock when the message carrying the log has
 * `mono`, else since the epoch (older agents); the fingerprint is `fingerprint()` in
 * src/protocol/fingerprint.ts (8 hex digits). docs/PROTOCOL.md, "Attribution evidence".
 */
export interface FirstMessages {
  /**
   * Connecting sockets only: which connection of the socket the log is about: 1 for the first, one
   * more after each `disconnect` monitor event (messages sent from then on go to the next connection).
   */
  conn?: number;
  /** The first messages sent to the peer (at most LIMITS.firstMessages), in order. */
  out: [number, string][];
  /** The first messages received from the peer, in order. */
  in: [number, string][];
}

/** Per-peer traffic seen by the agent since the previous flush. */
export interface PeerTraffic {
  socket: number;
  /** ROUTER-like sockets: the peer's routing id. Absent for sockets without per-peer envelopes. */
  peer?: Bin;
  msgsIn: number;
  msgsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Counts by message type: the first frame after the envelope (printable text or hex), capped. */
  types: Record<string, number>;
  lastMessageIn?: number;
  lastMessageOut?: number;
  lastHeartbeatIn?: number;
  lastHeartbeatOut?: number;
  /**
   * The current connection's first messages (ROUTER-likes: this peer's; connecting sockets: the
   * socket's current connection). Sent while the log grows, and in every snapshot.
   */
  first?: FirstMessages;
}

export interface SocketInfo {
  socket: number;
  type: SocketType;
  name?: string;
  routingId?: Bin;
  options: SocketOptions;
  site?: CreationSite;
  createdAt: number;
  /**
   * The app passed the socket to a proxy (pyzmq's zmq.proxy / proxy_steerable / device, zeromq.js's
   * Proxy), which moves its messages in native code: the agent sees none of them.
   */
  proxied?: boolean;
}

interface Base {
  v: number;
  /** Per-agent sequence number, starting at 1 for the first message after the agent starts. */
  seq: number;
  at: number;
  /**
   * The agent's monotonic clock (ms, µs fraction) when it made the message: the clock its
   * first-messages stamps are on (FirstMessages). Without it, those stamps are wall-clock ms (older agents).
   */
  mono?: number;
}

export interface HelloMsg extends Base {
  t: 'hello';
  /** Random per agent process start; lets the collector tell a restarted process from a reconnect. */
  instance: string;
  pid: number;
  host: string;
  title: string;
  /** Display name (ZMQ_TOPOLOGY_NODE, launch configuration name), when given. */
  node?: string;
  /**
   * A Node worker thread's threadId (the agent loads in every thread): another agent of the same
   * process, not a new process that reuses its pid. Absent on a main thread.
   */
  thread?: number;
  argv: string[];
  runtime: Runtime;
  agent: { name: string; version: string };
  startedAt: number;
}

export interface SocketMsg extends Base, SocketInfo {
  t: 'socket';
}

export interface EndpointMsg extends Base {
  t: 'endpoint';
  socket: number;
  op: EndpointOp;
  requested: string;
  resolved?: string;
  ok: boolean;
  error?: string;
}

export interface MonitorEventMsg extends Base {
  t: 'event';
  socket: number;
  event: MonitorEventType;
  /** The local endpoint the event concerns (for a ROUTER: its bound address, not the peer's). */
  address?: string;
  /** connect:retry interval, or error text for the :error events. */
  interval?: number;
  error?: string;
  /**
   * On a ROUTER's `disconnect`: the routing id of the peer whose connection it was, when the agent
   * knows it (the Python agent ties connections to peers by the ZMQ_SRCFD of their messages).
   */
  peer?: Bin;
  /**
   * On `accept`, and on the `disconnect` of a connection the socket accepted: how many connections
   * accepted on `address` are open after this event. The store holds them against the edges of the
   * instrumented peers it knows: the rest are peers without an agent, which nothing else reveals on a
   * PUB, PUSH or bound DEALER (no routing ids).
   */
  accepted?: number;
}

export interface TrafficMsg extends Base {
  t: 'traffic';
  peers: PeerTraffic[];
}

export interface DisconnectMsgMsg extends Base {
  t: 'disconnect-msg';
  socket: number;
  peer: Bin;
  /** The app's own ZMQ_DISCONNECT_MSG text; absent when it came from the agent's private token. */
  text?: Bin;
}

export interface CloseMsg extends Base {
  t: 'close';
  socket: number;
}

export interface BeatMsg extends Base {
  t: 'beat';
  /** Telemetry messages the agent dropped since it started while a collector listened (queue full, send failed). */
  dropped: number;
  /**
   * Telemetry it could not send because no collector listened (before it started, while it was
   * away): normal, the snapshot on connecting makes up the state; only timeline entries are missing.
   */
  missed?: number;
  queued: number;
}

/** An endpoint call of the app's that failed and has not succeeded since (kept by the agent: state, not timeline). */
export interface EndpointFailureState {
  op: EndpointOp;
  requested: string;
  error: string;
  /** The latest failure. */
  at: number;
  times: number;
}

export interface SnapshotSocket extends SocketInfo {
  endpoints: EndpointState[];
  /** Failed endpoint calls (the latest LIMITS.failuresPerSocket): a failure before the collector listened is not lost. */
  failed?: EndpointFailureState[];
  /** Routing ids of peers seen on this socket with their latest stamps (cumulative counts). */
  peers: PeerTraffic[];
  closed: boolean;
  /**
   * A socket with bind endpoints: the connections it accepted that are open now, per bound address
   * (as MonitorEventMsg.accepted counts them); addresses without one are left out. Absent: the agent
   * does not count them.
   */
  accepted?: AcceptedCount[];
}

/** Connections accepted on one bound address and open now. */
export interface AcceptedCount {
  address: string;
  open: number;
}

/** Sent right after hello on every (re)connect of the agent's telemetry socket. */
export interface SnapshotMsg extends Base {
  t: 'snapshot';
  sockets: SnapshotSocket[];
  dropped: number;
  missed?: number;
}

export interface ByeMsg extends Base {
  t: 'bye';
  reason: string;
}

export type TelemetryMsg =
  | HelloMsg | SocketMsg | EndpointMsg | MonitorEventMsg | TrafficMsg | DisconnectMsgMsg | CloseMsg | BeatMsg
  | SnapshotMsg | ByeMsg;

export type TelemetryType = TelemetryMsg['t'];

export const TELEMETRY_TYPES: readonly TelemetryType[] = [
  'hello', 'socket', 'endpoint', 'event', 'traffic', 'disconnect-msg', 'close', 'beat', 'snapshot', 'bye',
];

/** Why decode() refused a frame. Counted per reason by the collector and shown to the user. */
export type DecodeErrorReason =
  | 'too-large' | 'not-utf8' | 'not-json' | 'not-object' | 'bad-version' | 'unknown-type' | 'bad-field';

export type DecodeResult =
  | { ok: true; msg: TelemetryMsg }
  | { ok: false; reason: DecodeErrorReason; detail: string };
