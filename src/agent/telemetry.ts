/**
 * The agent's telemetry DEALER. Sends never wait: messages go into a bounded queue drained by one
 * loop (zeromq.js allows one pending send per socket) with sendTimeout 0, so a full or absent peer
 * is an immediate EAGAIN, counted as a drop. The socket's own monitor says when the collector
 * (re)appears: then hello + snapshot go out first, superseding whatever state was queued, and after
 * them the events kept while no collector listened (the newest ALONE_KEPT), so a disconnect that
 * happened before the collector started still shows, with its message and reason.
 */
import { encode } from '../protocol/codec';
import { findCollector } from '../protocol/rendezvous';
import { LIMITS, PROTOCOL_VERSION, type SnapshotMsg, type TelemetryMsg } from '../protocol/types';
import { monotonicMs } from './clock';
import type { ZmqDealer, ZmqModule, ZmqObserver } from './zmq';

/** A message before the sender stamps it. */
export type Outgoing = TelemetryMsg extends infer M ? (M extends TelemetryMsg ? Omit<M, 'v' | 'seq' | 'at' | 'mono'> : never) : never;

const QUEUE_LIMIT = 1000;
/** Without a collector this long, the agent looks for a note saying where it went (protocol/rendezvous.ts). */
const LOST_MS = 2000;
const SEND_HWM = 100;
/** Events kept while no collector listens, the newest; older ones are counted as missed. */
const ALONE_KEPT = 1000;

/** What a reconnect cannot rebuild from the snapshot: timeline entries. Losing these is a drop. */
function isTimeline(msg: Outgoing): boolean {
  return msg.t === 'event' || msg.t === 'disconnect-msg' || (msg.t === 'endpoint' && !msg.ok);
}

/**
 * Whether a fresh snapshot restores what the message said, should it be lost: state, and an event's
 * count of accepted connections (a count left stale by a dropped `disconnect` was drawn, seconds
 * later, as peers without an agent that had exited).
 */
function restorable(msg: Outgoing, timeline: boolean): boolean {
  return !timeline || (msg.t === 'event' && msg.accepted !== undefined);
}

/** A Z85 CURVE key. Checked here because zeromq.js throwing from a socket constructor crashes the process at exit. */
const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

/** This process's CURVE client keys: from the environment, else generated once (a wake-up reuses them). */
let clientKeys: { publicKey: string; secretKey: string } | undefined;

/**
 * CURVE options for the telemetry DEALER when ZMQ_TOPOLOGY_SERVER_KEY is set (a remote or CURVE
 * collector). Never throws: a zeromq without CURVE or a malformed key leaves the socket plain, and the
 * collector then counts the agent as refused, which is where the user looks.
 */
export function curveOptions(zmq: ZmqModule, env: NodeJS.ProcessEnv = process.env): object {
  const serverKey = env.ZMQ_TOPOLOGY_SERVER_KEY;
  if (!serverKey || !Z85_KEY.test(serverKey)) return {};
  try {
    if (!zmq.capability.curve) return {};
    const [pub, sec] = [env.ZMQ_TOPOLOGY_CLIENT_PUBLIC ?? '', env.ZMQ_TOPOLOGY_CLIENT_SECRET ?? ''];
    const given = Z85_KEY.test(pub) && Z85_KEY.test(sec) ? { publicKey: pub, secretKey: sec } : undefined;
    clientKeys ??= given ?? zmq.curveKeyPair();
    return { curveServerKey: serverKey, curvePublicKey: clientKeys.publicKey, curveSecretKey: clientKeys.secretKey };
  } catch {
    return {};
  }
}

interface Queued {
  frame: Buffer;
  timeline: boolean;
  restorable: boolean;
  /** For an event or a disconnect message (keptAlone): the socket it is about. */
  socket: number | undefined;
}

/** An event stamped while no collector listened, and the socket it is about. */
interface Kept {
  frame: Buffer;
  socket: number;
}

/** The newest `limit` items, oldest first; what falls out is counted. Pushed only while no collector listens. */
export class NewestKept {
  private items: Kept[] = [];
  fellOut = 0;

  constructor(private readonly limit: number) {}

  push(item: Kept): void {
    this.items.push(item);
    if (this.items.length > this.limit) {
      this.items.shift();
      this.fellOut++;
    }
  }

  /** Everything kept, oldest first; empty after. */
  take(): Kept[] {
    const out = this.items;
    this.items = [];
    return out;
  }
}

/** Events and disconnect messages: history the snapshot cannot tell (a failed endpoint it can). */
function keptAlone(msg: Outgoing): msg is Extract<Outgoing, { t: 'event' | 'disconnect-msg' }> {
  return msg.t === 'event' || msg.t === 'disconnect-msg';
}

export interface TelemetrySource {
  hello(): Outgoing;
  snapshot(): Outgoing;
}

export class TelemetrySender {
  private readonly socket: ZmqDealer;
  private readonly monitor: ZmqObserver;
  private queue: Queued[] = [];
  private seq = 0;
  private isConnected = false;
  private draining = false;
  private resync = false;
  private closed = false;
  /** Where the socket is connected: the configured endpoint, or where a rendezvous note sent it. */
  private current: string;
  /** Since when no collector answers (undefined while connected). */
  private lostSince: number | undefined = Date.now();
  /** Lost while a collector listened (queue full, send failed): a problem worth showing. */
  dropped = 0;
  /** Events kept while no collector listens, sent after the snapshot on connecting. */
  private readonly alone = new NewestKept(ALONE_KEPT);
  private missedOther = 0;

  constructor(zmq: ZmqModule, Dealer: new (options?: object) => ZmqDealer, private readonly endpoint: string, private readonly source: TelemetrySource) {
    // A context of its own: the app terminating or configuring its context never touches ours.
    const options = {
      context: new zmq.Context(),
      linger: 0,
      immediate: true,
      sendHighWaterMark: SEND_HWM,
      sendTimeout: 0,
    };
    this.socket = new Dealer({ ...options, ...curveOptions(zmq) });
    this.monitor = this.socket.events;
    void this.watch();
    this.current = endpoint;
    this.socket.connect(endpoint);
  }

  /**
   * Called now and then: when no collector has answered for LOST_MS, follow the note of a collector
   * that serves the configured endpoint from another port (a reloaded window's), or go back to the
   * configured endpoint when there is no note any more.
   */
  followRendezvous(now = Date.now()): void {
    if (this.closed || this.lostSince === undefined || now - this.lostSince < LOST_MS) return;
    const target = findCollector(this.endpoint) ?? this.endpoint;
    if (target === this.current) return;
    try {
      this.socket.disconnect(this.current);
    } catch {
      // Not connected there (any more): nothing to undo.
    }
    this.socket.connect(target);
    this.current = target;
    this.lostSince = now;
  }

  /** Where the agent is sending now (the configured endpoint unless a rendezvous note moved it). */
  get currentEndpoint(): string {
    return this.current;
  }

  /** Whether the collector is there (handshake seen, no disconnect since). */
  get connected(): boolean {
    return this.isConnected;
  }

  get queued(): number {
    return this.queue.length;
  }

  /**
   * Timeline not sent because no collector listened (normal before one starts): failed endpoints (the
   * snapshot has them) and events beyond the newest ALONE_KEPT.
   */
  get missed(): number {
    return this.missedOther + this.alone.fellOut;
  }

  /**
   * Queues a message. Without a collector, state messages are not kept (the snapshot on the next
   * handshake carries them); events are kept (the newest ALONE_KEPT), the rest of the timeline counted.
   */
  post(msg: Outgoing): void {
    if (this.closed) return;
    const timeline = isTimeline(msg);
    if (!this.isConnected) {
      if (keptAlone(msg)) this.alone.push({ frame: this.stamp(msg), socket: msg.socket });
      else if (timeline) this.missedOther++;
      return;
    }
    if (this.queue.length >= QUEUE_LIMIT) {
      this.dropped++;
      // State lost on a full queue (a socket announced, an endpoint, a count): a fresh snapshot once the
      // queue has drained repairs it, or the collector would discard what follows about that socket.
      if (restorable(msg, timeline)) this.resync = true;
      return;
    }
    this.queue.push({ frame: this.stamp(msg), timeline, restorable: restorable(msg, timeline), socket: keptAlone(msg) ? msg.socket : undefined });
    this.drain();
  }

  /** Best effort, synchronous: what libzmq takes now may still leave before the process ends. */
  sendNow(msg: Outgoing): void {
    if (this.closed || !this.isConnected) return;
    this.socket.send(this.stamp(msg)).catch(() => {});
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.monitor.close();
    this.socket.close();
  }

  private stamp(msg: Outgoing): Buffer {
    this.seq++;
    const mono = monotonicMs();
    let frame = encode({ ...msg, v: PROTOCOL_VERSION, seq: this.seq, at: Date.now(), mono } as TelemetryMsg);
    if (frame.length > LIMITS.frameBytes && msg.t === 'snapshot') {
      // Too many peers: keep the sockets and endpoints, trim each socket's peer list.
      const trimmed: Omit<SnapshotMsg, 'v' | 'seq' | 'at' | 'mono'> = { ...msg, sockets: msg.sockets.map((s) => ({ ...s, peers: s.peers.slice(0, 8) })) };
      frame = encode({ ...trimmed, v: PROTOCOL_VERSION, seq: this.seq, at: Date.now(), mono });
    }
    return frame;
  }

  private async watch(): Promise<void> {
    try {
      while (!this.monitor.closed) {
        const event = await this.monitor.receive();
        if (event === undefined) return;
        if (event.type === 'handshake') this.onConnected();
        else if (event.type === 'disconnect') this.onLost();
      }
    } catch {
      // The monitor closed (agent shutdown): nothing more to watch.
    }
  }

  private onLost(): void {
    this.isConnected = false;
    this.lostSince = Date.now();
    // Not sent to the collector that went away: events go to the next one, state is superseded by
    // its snapshot, a failed endpoint too (the snapshot has it).
    for (const item of this.queue) {
      if (item.socket !== undefined) this.alone.push({ frame: item.frame, socket: item.socket });
      else if (item.timeline) this.missedOther++;
    }
    this.queue = [];
  }

  private onConnected(): void {
    this.queue = [];
    this.isConnected = true;
    this.lostSince = undefined;
    this.resync = false;
    this.post(this.source.hello());
    const snapshot = this.source.snapshot();
    this.post(snapshot);
    // Stamped when they happened, after the snapshot: the store replays them in order onto the state
    // the snapshot gave, and the last of them agrees with it. A socket the snapshot no longer has
    // (closed and forgotten since) would only make the collector discard them.
    const sockets = new Set(snapshot.t === 'snapshot' ? snapshot.sockets.map((s) => s.socket) : []);
    const kept = this.alone.take().filter((k) => sockets.has(k.socket));
    // The newest that fit: the last event's count of accepted connections is the one that stands.
    const room = QUEUE_LIMIT - this.queue.length;
    this.dropped += Math.max(0, kept.length - room);
    for (const k of kept.slice(Math.max(0, kept.length - room))) this.queue.push({ frame: k.frame, timeline: true, restorable: false, socket: k.socket });
    this.drain();
  }

  private drain(): void {
    if (this.draining || !this.isConnected) return;
    this.draining = true;
    void this.drainLoop();
  }

  private async drainLoop(): Promise<void> {
    try {
      while (this.isConnected && !this.closed && this.queue.length > 0) {
        const item = this.queue.shift()!;
        try {
          await this.socket.send(item.frame);
        } catch {
          this.dropped++;
          if (item.restorable) this.resync = true;
        }
        if (this.resync && this.queue.length === 0) {
          this.resync = false;
          this.post(this.source.snapshot());
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
