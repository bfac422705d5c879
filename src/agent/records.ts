/**
 * What the agent knows about one socket, and its traffic accounting. Counters are cumulative; a
 * flush reports the difference from the last flush (or snapshot) as the protocol's deltas.
 */
import { toBin } from '../protocol/bin';
import { LIMITS, type Bin, type EndpointState, type PeerTraffic, type SnapshotSocket, type SocketInfo } from '../protocol/types';
import type { AppObserverHandle } from './appObserver';
import { typeLabel, type EnvelopeKind } from './frames';
import type { MessageLike, ZmqObserver, ZmqSocket } from './zmq';

/** Peers remembered per socket; a ROUTER facing endless short-lived peers forgets the oldest. */
const PEERS_PER_SOCKET = 1024;
/** A type key no real frame can have (real keys are latin1: chars ≤ 0xff). */
const OTHER_TYPES = '\u0100other';

export class PeerStats {
  msgsIn = 0;
  msgsOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  readonly types = new Map<string, number>();
  lastMessageIn?: number;
  lastMessageOut?: number;
  lastHeartbeatIn?: number;
  lastHeartbeatOut?: number;
  /**
   * The peer's ZMQ_DISCONNECT_MSG arrived and nothing since: a snapshot leaves it out, or a collector
   * that starts afresh would show a long-gone peer as an unknown live one.
   */
  gone = false;
  /** Totals at the last flush, for deltas. */
  private flushed = { msgsIn: 0, msgsOut: 0, bytesIn: 0, bytesOut: 0, types: new Map<string, number>() };

  constructor(readonly peer: Bin | undefined) {}

  countType(key: string): void {
    const n = this.types.get(key);
    if (n !== undefined) this.types.set(key, n + 1);
    else if (this.types.size < LIMITS.messageTypesPerPeer - 1) this.types.set(key, 1);
    else this.types.set(OTHER_TYPES, (this.types.get(OTHER_TYPES) ?? 0) + 1);
  }

  get changed(): boolean {
    return this.msgsIn !== this.flushed.msgsIn || this.msgsOut !== this.flushed.msgsOut;
  }

  /** The change since the last flush; the next delta starts here. */
  takeDelta(socket: number): PeerTraffic {
    const types: Record<string, number> = {};
    for (const [key, n] of this.types) {
      const d = n - (this.flushed.types.get(key) ?? 0);
      if (d > 0) types[labelOf(key)] = d;
    }
    const delta = this.shape(socket, {
      msgsIn: this.msgsIn - this.flushed.msgsIn,
      msgsOut: this.msgsOut - this.flushed.msgsOut,
      bytesIn: this.bytesIn - this.flushed.bytesIn,
      bytesOut: this.bytesOut - this.flushed.bytesOut,
      types,
    });
    this.markFlushed();
    return delta;
  }

  /** Cumulative totals, for a snapshot. */
  totals(socket: number): PeerTraffic {
    const types: Record<string, number> = {};
    for (const [key, n] of this.types) types[labelOf(key)] = n;
    return this.shape(socket, { msgsIn: this.msgsIn, msgsOut: this.msgsOut, bytesIn: this.bytesIn, bytesOut: this.bytesOut, types });
  }

  markFlushed(): void {
    this.flushed = { msgsIn: this.msgsIn, msgsOut: this.msgsOut, bytesIn: this.bytesIn, bytesOut: this.bytesOut, types: new Map(this.types) };
  }

  private shape(socket: number, counts: Omit<PeerTraffic, 'socket' | 'peer'>): PeerTraffic {
    const p: PeerTraffic = { socket, ...(this.peer ? { peer: this.peer } : {}), ...counts };
    if (this.lastMessageIn !== undefined) p.lastMessageIn = this.lastMessageIn;
    if (this.lastMessageOut !== undefined) p.lastMessageOut = this.lastMessageOut;
    if (this.lastHeartbeatIn !== undefined) p.lastHeartbeatIn = this.lastHeartbeatIn;
    if (this.lastHeartbeatOut !== undefined) p.lastHeartbeatOut = this.lastHeartbeatOut;
    return p;
  }
}

function labelOf(key: string): string {
  return key === OTHER_TYPES ? '(other)' : typeLabel(key);
}

export class SocketRecord {
  readonly endpoints: EndpointState[] = [];
  readonly peers = new Map<string, PeerStats>();
  closed = false;
  /** The app's own ZMQ_DISCONNECT_MSG, when it set one. */
  appDisconnectMsg?: Buffer;
  /** Whether the agent's private disconnect token is set on the socket. */
  tokenActive = false;
  /** Whether the token was ever set: connections made meanwhile still carry it. */
  tokenUsed = false;
  /** The monitor the agent reads (the socket's only one). */
  monitor?: ZmqObserver;
  /** The app's `events`, created when the app first touches it. */
  appEvents?: AppObserverHandle;

  /** The send in flight (one per socket), counted when it settles. */
  pendingSend: MessageLike | MessageLike[] = null;
  /** Settle handlers and the wrapped receive, set by the agent (see Agent.handlers). */
  onReceived!: (frames: Buffer[]) => Buffer[] | Promise<Buffer[]>;
  onReceiveFailed!: (err: unknown) => never;
  onSent!: () => void;
  onSendFailed!: (err: unknown) => never;
  receiveAgain?: (this: ZmqSocket) => Promise<Buffer[]>;

  constructor(readonly socket: ZmqSocket, public info: SocketInfo, readonly kind: EnvelopeKind) {}

  get id(): number {
    return this.info.socket;
  }

  /** Stats of one peer (routing id given as a latin1 key with its bytes) or of the socket's only link. */
  peerStats(key: string, routingId: Buffer | undefined): PeerStats {
    let stats = this.peers.get(key);
    if (stats === undefined) {
      if (this.peers.size >= PEERS_PER_SOCKET) this.peers.delete(this.peers.keys().next().value as string);
      stats = new PeerStats(routingId ? toBin(routingId) : undefined);
      this.peers.set(key, stats);
    }
    return stats;
  }

  snapshot(): SnapshotSocket {
    const peers: PeerTraffic[] = [];
    for (const stats of this.peers.values()) {
      if (!stats.gone) peers.push(stats.totals(this.id));
      stats.markFlushed();
    }
    return { ...this.info, endpoints: this.endpoints.slice(-LIMITS.endpointsPerSocket), peers, closed: this.closed };
  }
}
