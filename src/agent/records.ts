/**
 * What the agent knows about one socket, and its traffic accounting. Counters are cumulative; a
 * flush reports the difference from the last flush (or snapshot) as the protocol's deltas.
 */
import { toBin } from '../protocol/bin';
import { fingerprint, type FingerprintSide } from '../protocol/fingerprint';
import { LIMITS, type Bin, type EndpointFailureState, type EndpointState, type FirstMessages, type PeerTraffic, type SnapshotSocket, type SocketInfo } from '../protocol/types';
import type { AppObserverHandle } from './appObserver';
import { ByteTable, hashBytes, sameBytes } from './byteTable';
import { monotonicMs } from './clock';
import { frameBytes, isOneOf, typeBytes, typeLabel, wireBytes, TYPE_BYTES, type EnvelopeKind, type Heartbeats } from './frames';
import type { MessageLike, ZmqObserver, ZmqSocket } from './zmq';

/** Peers remembered per socket; a ROUTER facing endless short-lived peers forgets the oldest. */
const PEERS_PER_SOCKET = 1024;
const OTHER_LABEL = '(other)';
const FIRST = LIMITS.firstMessages;
const NO_KEY = new Uint8Array(0);

/**
 * The first messages of one connection each way, [time, fingerprint] (protocol FirstMessages): the
 * evidence that ties an anonymous ROUTER peer to its connecting socket. Only the first
 * LIMITS.firstMessages messages cost anything; after that a message costs one length check.
 */
export class FirstLog {
  out: [number, string][] = [];
  in: [number, string][] = [];
  /** Grown since the last flush. */
  changed = false;

  /** `conn`: the connecting socket's connection number; undefined on a ROUTER's peer. */
  constructor(readonly conn: number | undefined) {}

  /** `at`: performance.now() when the message went (a send's call), else now. */
  add(inbound: boolean, frames: ArrayLike<MessageLike>, side: FingerprintSide, at?: number): void {
    const bytes: Uint8Array[] = new Array<Uint8Array>(frames.length);
    for (let i = 0; i < frames.length; i++) bytes[i] = wireBytes(frames[i]);
    // Monotonic ms with a µs fraction: two messages in one millisecond stay in order.
    (inbound ? this.in : this.out).push([monotonicMs(at), fingerprint(bytes, side)]);
    this.changed = true;
  }

  view(): FirstMessages {
    return { ...(this.conn !== undefined ? { conn: this.conn } : {}), out: this.out.slice(), in: this.in.slice() };
  }
}

/** One message type's count with a peer; its label is made when telemetry first needs it. */
class TypeCount {
  count = 0;
  /** The count at the last flush, for deltas. */
  flushed = 0;
  /** The key bytes (the type table's copy). */
  bytes: Uint8Array = NO_KEY;
  private text?: string;

  /** `next`: the frames after this type that make a heartbeat (HeartbeatPattern.next). */
  constructor(private readonly key: string, readonly heartbeat: boolean, readonly next: readonly Buffer[] | undefined) {}

  get label(): string {
    return (this.text ??= typeLabel(this.key));
  }
}

export class PeerStats {
  msgsIn = 0;
  msgsOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  /**
   * Date.now() of the last message (heartbeat) each way, 0 while none. Numbers from the start, never
   * undefined: V8 then keeps each field a double updated in place, where a field that began
   * undefined boxed every new time in a fresh heap number (an allocation per message).
   */
  lastMessageIn = 0;
  lastMessageOut = 0;
  lastHeartbeatIn = 0;
  lastHeartbeatOut = 0;
  /**
   * The peer's ZMQ_DISCONNECT_MSG arrived and nothing since: a snapshot leaves it out, or a collector
   * that starts afresh would show a long-gone peer as an unknown live one.
   */
  gone = false;
  /** ROUTERs' peers and connecting DEALER/REQ/REP links: the current connection's first messages. */
  first?: FirstLog;
  /** Message types by their key bytes (first TYPE_BYTES of the type frame), looked up without a string. */
  private readonly typeIndex = new ByteTable<TypeCount>();
  private readonly typeList: TypeCount[] = [];
  /** The type of the last message counted: a stream of one type is matched by one comparison, no hash. */
  private lastType?: TypeCount;
  /** Messages of types beyond the per-peer limit. */
  private otherCount = 0;
  private otherFlushed = 0;
  /** Totals at the last flush, for deltas. */
  private flushedIn = 0;
  private flushedOut = 0;
  private flushedBytesIn = 0;
  private flushedBytesOut = 0;

  /** `routingId` is the agent's own copy, kept to find the peer's entry again when it is forgotten. */
  constructor(readonly peer: Bin | undefined, readonly routingId?: Buffer) {}

  /**
   * Counts one message of the type in `frames[at]`; true when it is a heartbeat. The frame's bytes
   * are hashed and compared in place: no string is made per message, only once per new type.
   */
  countType(frames: ArrayLike<MessageLike>, at: number, heartbeats: Heartbeats): boolean {
    const frame = at < frames.length ? frames[at] : undefined;
    const bytes = typeBytes(frame);
    const n = bytes.length < TYPE_BYTES ? bytes.length : TYPE_BYTES;
    let type = this.lastType;
    if (type === undefined || !sameBytes(type.bytes, bytes, n)) {
      const hash = hashBytes(bytes, n);
      type = this.typeIndex.get(bytes, n, hash);
      if (type === undefined) {
        if (this.typeList.length >= LIMITS.messageTypesPerPeer - 1) {
          this.otherCount++;
          if (n > heartbeats.maxBytes || !whole(frame, bytes, n)) return false;
          const key = latin1(bytes, n);
          const next = heartbeats.next.get(key);
          return heartbeats.keys.has(key) || (next !== undefined && at + 1 < frames.length && isOneOf(frames[at + 1], next));
        }
        const key = latin1(bytes, n);
        type = new TypeCount(key, heartbeats.keys.has(key), heartbeats.next.get(key));
        type.bytes = this.typeIndex.add(bytes, n, hash, type);
        this.typeList.push(type);
      }
      this.lastType = type;
    }
    type.count++;
    if (type.heartbeat) return whole(frame, bytes, n);
    // A protocol header (Majordomo's "MDPW01"): the command in the next frame says.
    return type.next !== undefined && at + 1 < frames.length && whole(frame, bytes, n) && isOneOf(frames[at + 1], type.next);
  }

  /** Counts per type label (types with no messages in `since` mode are left out). */
  private typeCounts(sinceFlush: boolean): Record<string, number> {
    const types: Record<string, number> = {};
    for (const type of this.typeList) {
      const n = sinceFlush ? type.count - type.flushed : type.count;
      if (n > 0) types[type.label] = n;
    }
    const other = sinceFlush ? this.otherCount - this.otherFlushed : this.otherCount;
    if (other > 0) types[OTHER_LABEL] = other;
    return types;
  }

  get changed(): boolean {
    return this.msgsIn !== this.flushedIn || this.msgsOut !== this.flushedOut;
  }

  /** The change since the last flush; the next delta starts here. */
  takeDelta(socket: number): PeerTraffic {
    const delta = this.shape(socket, {
      msgsIn: this.msgsIn - this.flushedIn,
      msgsOut: this.msgsOut - this.flushedOut,
      bytesIn: this.bytesIn - this.flushedBytesIn,
      bytesOut: this.bytesOut - this.flushedBytesOut,
      types: this.typeCounts(true),
    });
    const first = this.first;
    if (first?.changed) {
      first.changed = false;
      delta.first = first.view();
    }
    this.markFlushed();
    return delta;
  }

  /** Cumulative totals, for a snapshot. */
  totals(socket: number): PeerTraffic {
    const totals = this.shape(socket, { msgsIn: this.msgsIn, msgsOut: this.msgsOut, bytesIn: this.bytesIn, bytesOut: this.bytesOut, types: this.typeCounts(false) });
    const first = this.first;
    if (first && first.out.length + first.in.length > 0) {
      first.changed = false;
      totals.first = first.view();
    }
    return totals;
  }

  markFlushed(): void {
    this.flushedIn = this.msgsIn;
    this.flushedOut = this.msgsOut;
    this.flushedBytesIn = this.bytesIn;
    this.flushedBytesOut = this.bytesOut;
    for (const type of this.typeList) type.flushed = type.count;
    this.otherFlushed = this.otherCount;
  }

  private shape(socket: number, counts: Omit<PeerTraffic, 'socket' | 'peer'>): PeerTraffic {
    const p: PeerTraffic = { socket, ...(this.peer ? { peer: this.peer } : {}), ...counts };
    if (this.lastMessageIn > 0) p.lastMessageIn = this.lastMessageIn;
    if (this.lastMessageOut > 0) p.lastMessageOut = this.lastMessageOut;
    if (this.lastHeartbeatIn > 0) p.lastHeartbeatIn = this.lastHeartbeatIn;
    if (this.lastHeartbeatOut > 0) p.lastHeartbeatOut = this.lastHeartbeatOut;
    return p;
  }
}

/**
 * Whether the type key is the whole frame: a key is a prefix, and a longer frame that starts like a
 * heartbeat is not one. Keys shorter than TYPE_BYTES are whole frames; strings are keyed by a
 * prefix of their UTF-8 bytes.
 */
function whole(frame: MessageLike | undefined, bytes: Uint8Array, n: number): boolean {
  if (n < TYPE_BYTES) return true;
  return (typeof frame === 'string' ? frameBytes(frame) : bytes.length) <= TYPE_BYTES;
}

function latin1(bytes: Uint8Array, n: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, n).toString('latin1');
}

export class SocketRecord {
  readonly endpoints: EndpointState[] = [];
  /** Endpoint calls that failed and have not succeeded since, the latest LIMITS.failuresPerSocket. */
  readonly failed: EndpointFailureState[] = [];
  /** Per peer (ROUTER-likes; keyed by the routing id as latin1) in the order first seen. */
  readonly peers = new Map<string, PeerStats>();
  /** The same records by routing id bytes: how a message finds its peer without a string. */
  private readonly peerIndex = new ByteTable<PeerStats>();
  /** The peer of the last message counted (one with a routing id): a one-peer stream skips the hash. */
  private lastPeer?: PeerStats;
  /** The socket's only link (not ROUTER-like). */
  private link?: PeerStats;
  closed = false;
  /** The app's own ZMQ_DISCONNECT_MSG, when it set one. */
  appDisconnectMsg?: Buffer;
  /** Whether the app set ZMQ_ROUTER_HANDOVER (write-only in libzmq: only seen when set). */
  routerHandover = false;
  /** SUB sockets: the prefixes the app subscribed to (hex → how many times: libzmq counts them too). */
  subscriptions?: Map<string, number>;
  /** Whether the agent's private disconnect token is set on the socket. */
  tokenActive = false;
  /** Whether the token was ever set: connections made meanwhile still carry it. */
  tokenUsed = false;
  /**
   * Connections the socket accepted that are open, by bound address (the monitor's `accept` and
   * `disconnect` name the connection's local address alike): the store holds them against the edges
   * of instrumented peers, and the rest are peers without an agent. Created on the first accept.
   */
  accepted?: Map<string, number>;
  /** The monitor the agent reads (the socket's only one). */
  monitor?: ZmqObserver;
  /** The app's `events`, created when the app first touches it. */
  appEvents?: AppObserverHandle;

  /**
   * Whether a send is unsettled. zeromq.js queues sends made without awaiting the one before (a
   * broadcast loop); only the first takes the slot below, the others carry their own message.
   */
  sendPending = false;
  /** The unsettled send in the slot, counted when it settles. */
  pendingSend: MessageLike | MessageLike[] = null;
  /** performance.now() when that send was called, while sends may still be logged (stampsSends). */
  pendingSendAt = 0;
  /**
   * Whether a send may still be among the first logged: a ROUTER's next send may go to a new peer;
   * a connecting socket's only until its connection's log is full (then a send costs no clock read).
   */
  stampsSends = false;
  /** Settle handlers and the wrapped receive, set by the agent (see Agent.handlers). */
  onReceived!: (frames: Buffer[]) => Buffer[] | Promise<Buffer[]>;
  onReceiveFailed!: (err: unknown) => never;
  /** Receives the app gets natively (no token to hide): counted on a branch of their own. */
  onReceivedAside!: (frames: Buffer[]) => void;
  onSettledAside!: () => void;
  onSent!: () => void;
  onSendFailed!: () => void;
  receiveAgain?: (this: ZmqSocket) => Promise<Buffer[]>;
  /** Whether first messages are logged: ROUTERs per peer, DEALER/REQ/REP per connection. */
  readonly logsFirst: boolean;
  /** Connecting sockets: the current connection's number (one more after each `disconnect` event). */
  conn = 1;

  /** How its messages are fingerprinted (protocol/fingerprint.ts). */
  private readonly fingerprintSide: FingerprintSide;

  constructor(readonly socket: ZmqSocket, public info: SocketInfo, readonly kind: EnvelopeKind) {
    this.logsFirst = info.type === 'ROUTER' || info.type === 'DEALER' || info.type === 'REQ' || info.type === 'REP';
    this.fingerprintSide = info.type === 'ROUTER' ? 'router' : info.type === 'REQ' || info.type === 'REP' ? 'request' : 'dealer';
    this.stampsSends = this.logsFirst;
  }

  /**
   * Logs a message among the first of its connection (called only while `stats.first` has room).
   * A connecting socket's log belongs to its current connection; a ROUTER's to the peer.
   */
  logFirst(stats: PeerStats, inbound: boolean, frames: ArrayLike<MessageLike>, at?: number): void {
    const router = this.kind === 'router';
    let log = stats.first;
    if (log === undefined || (!router && log.conn !== this.conn)) log = stats.first = new FirstLog(router ? undefined : this.conn);
    if ((inbound ? log.in : log.out).length < FIRST) log.add(inbound, frames, this.fingerprintSide, at);
    if (!router && log.out.length >= FIRST) this.stampsSends = false;
  }

  /** Whether the next message may still be logged for `stats` (the hot path's only extra check). */
  firstHasRoom(stats: PeerStats, inbound: boolean): boolean {
    const log = stats.first;
    if (log === undefined) return this.logsFirst;
    if (log.conn !== undefined && log.conn !== this.conn) return true;
    return (inbound ? log.in : log.out).length < FIRST;
  }

  /** Whether a connecting socket's current log has grown since it was last sent. */
  firstUnsent(): boolean {
    return this.link?.first?.changed === true;
  }

  /** A connecting socket's connection went: what it sends from now on goes to the next one. */
  connectionLost(): void {
    if (this.kind === 'router') return;
    this.conn++;
    this.stampsSends = this.logsFirst;
  }

  get id(): number {
    return this.info.socket;
  }

  /** An `accept` on `address`: the connections now open there. */
  connectionAccepted(address: string): number {
    const open = (this.accepted?.get(address) ?? 0) + 1;
    (this.accepted ??= new Map()).set(address, open);
    return open;
  }

  /**
   * A `disconnect` on `address`: the connections accepted there left open, or undefined when it
   * closed one the socket connected (its address is then the connect endpoint, never a bound one).
   */
  acceptedClosed(address: string): number | undefined {
    const open = this.accepted?.get(address);
    if (open === undefined || open === 0 || this.endpoints.some((e) => e.op === 'connect' && (e.requested === address || e.resolved === address))) return undefined;
    this.accepted!.set(address, open - 1);
    return open - 1;
  }

  /**
   * A monitor event on a connect endpoint: whether its connection is up now, and since when, goes in
   * snapshots (EndpointState.up), for a collector that was not there for the `handshake` event.
   */
  connectEvent(type: string, address: string, at: number): void {
    const connect = this.endpoints.find((e) => e.op === 'connect' && (e.requested === address || e.resolved === address));
    if (connect === undefined) return;
    if (type === 'handshake') connect.up = at;
    else if (type === 'disconnect' || type === 'close' || type === 'connect:retry' || type.startsWith('handshake:error')) delete connect.up;
  }

  /** What was up while no monitor read the events is unknown: none is said to be (never a stale one). */
  forgetConnectsUp(): void {
    for (const e of this.endpoints) delete e.up;
  }

  /** Stats of the peer with this routing id (ROUTER-likes) or, without one, of the socket's only link. */
  peerStats(routingId: Uint8Array | undefined): PeerStats {
    if (routingId === undefined) return (this.link ??= this.newPeer('', undefined));
    const n = routingId.length;
    const last = this.lastPeer;
    if (last !== undefined && sameBytes(last.routingId!, routingId, n)) return last;
    const hash = hashBytes(routingId, n);
    let stats = this.peerIndex.get(routingId, n, hash);
    if (stats === undefined) {
      if (this.peers.size >= PEERS_PER_SOCKET) this.forgetOldestPeer();
      const copy = Buffer.from(routingId);
      stats = this.newPeer(copy.toString('latin1'), copy);
      this.peerIndex.add(copy, n, hash, stats);
    }
    this.lastPeer = stats;
    return stats;
  }

  private newPeer(key: string, routingId: Buffer | undefined): PeerStats {
    const stats = new PeerStats(routingId ? toBin(routingId) : undefined, routingId);
    this.peers.set(key, stats);
    return stats;
  }

  private forgetOldestPeer(): void {
    const [key, oldest] = this.peers.entries().next().value as [string, PeerStats];
    this.peers.delete(key);
    const id = oldest.routingId;
    if (id !== undefined) this.peerIndex.delete(id, id.length, hashBytes(id, id.length));
    else if (oldest === this.link) this.link = undefined;
  }

  snapshot(): SnapshotSocket {
    const peers: PeerTraffic[] = [];
    for (const stats of this.peers.values()) {
      if (!stats.gone) peers.push(stats.totals(this.id));
      stats.markFlushed();
    }
    const socket: SnapshotSocket = { ...this.info, endpoints: this.endpoints.slice(-LIMITS.endpointsPerSocket), peers, closed: this.closed };
    if (this.failed.length > 0) socket.failed = this.failed.map((f) => ({ ...f }));
    if (this.endpoints.some((e) => e.op === 'bind')) {
      socket.accepted = [...(this.accepted ?? [])].filter(([, open]) => open > 0).map(([address, open]) => ({ address, open }));
    }
    return socket;
  }
}
