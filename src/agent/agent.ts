/**
 * The Node agent: finds the app's zeromq module(s), wraps every socket the app creates, and reports
 * what they do (docs/ARCHITECTURE.md, "The data path"). It never throws into the app, never blocks it, never
 * changes what it observes, and never keeps the process alive.
 *
 * Longer than the ~500 lines a file is kept to (docs/ARCHITECTURE.md), on purpose: the socket wrappers
 * and the per-message accounting they call run on the app's hot path and share the agent's state
 * (records, wait count, token) without an indirection per message; what does not need that lives
 * beside it (records.ts, frames.ts, telemetry.ts, appObserver.ts, patch.ts).
 */
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { threadId as workerThreadId } from 'node:worker_threads';
import { toBin } from '../protocol/bin';
import { LIMITS, MONITOR_EVENT_TYPES, SOCKET_TYPES, type MonitorEventType, type SocketInfo, type SocketOptions, type SocketType } from '../protocol/types';
import { createAppObserver } from './appObserver';
import { frameBytes, heartbeatKeys, parseHeartbeatPatterns, typeBytes, typeFrameIndex, type EnvelopeKind, type Heartbeats } from './frames';
import { SocketRecord } from './records';
import { creationSite } from './site';
import { TelemetrySender, type Outgoing } from './telemetry';
import { OPT, rawOptions, type MessageLike, type SocketMethods, type ZmqEvent, type ZmqDealer, type ZmqModule, type ZmqObserver, type ZmqSocket } from './zmq';

export const AGENT_NAME = 'zmq-topology-node';
export const AGENT_VERSION = '0.1.0';

const FLUSH_MS = 200;
const BEAT_MS = 1000;
/** How often the agent checks whether the app would have exited by now (the lag it can add). */
const IDLE_CHECK_MS = 50;
const CLOSED_SOCKETS_KEPT = 256;

export interface AgentConfig {
  endpoint: string;
  node?: string;
  heartbeats?: string;
}

/** One copy of zeromq the app loaded, with what the agent needs from it before patching. */
export interface ZmqCopy {
  zmq: ZmqModule;
  /** The unpatched Dealer, for the telemetry socket (which must not instrument itself). */
  Dealer: new (options?: object) => ZmqDealer;
  bindingVersion: string;
}

function socketType(socket: ZmqSocket): SocketType {
  try {
    return SOCKET_TYPES[rawOptions(socket).getInt32Option(16)] ?? 'UNKNOWN';
  } catch {
    return 'UNKNOWN';
  }
}

function envelopeKind(type: SocketType): EnvelopeKind {
  if (type === 'ROUTER' || type === 'STREAM') return 'router';
  if (type === 'DEALER' || type === 'REQ' || type === 'REP') return 'dealer';
  return 'plain';
}

/** Distinct SUB prefixes counted per socket (apps that subscribe per key can have many). */
const SUBSCRIPTIONS_COUNTED = 10_000;

/** `appDisconnectMsg`, `routerHandover`, `subscriptions` (SUB): what the app set (none can be read back from libzmq). */
function readOptions(socket: ZmqSocket, appDisconnectMsg: boolean, routerHandover: boolean, subscriptions?: number): SocketOptions {
  const raw = rawOptions(socket);
  const options: SocketOptions = { disconnectMsg: appDisconnectMsg };
  if (routerHandover) options.routerHandover = true;
  if (subscriptions !== undefined) options.subscriptions = subscriptions;
  const ints = [['heartbeatIvl', OPT.heartbeatIvl], ['heartbeatTtl', OPT.heartbeatTtl], ['heartbeatTimeout', OPT.heartbeatTimeout],
    ['linger', OPT.linger], ['sndhwm', OPT.sndhwm], ['rcvhwm', OPT.rcvhwm]] as const;
  for (const [key, id] of ints) {
    try {
      options[key] = raw.getInt32Option(id);
    } catch {
      // Not readable on this socket type: left out.
    }
  }
  return options;
}

function readRoutingId(socket: ZmqSocket): SocketInfo['routingId'] {
  try {
    const id = rawOptions(socket).getStringOption(OPT.routingId);
    return id ? toBin(id) : undefined;
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.slice(0, LIMITS.stringChars);
}

function eventType(type: string): MonitorEventType {
  return (MONITOR_EVENT_TYPES as readonly string[]).includes(type) ? (type as MonitorEventType) : 'unknown';
}

function errnoError(message: string, code: string, errno: number): Error {
  return Object.assign(new Error(message), { errno, code });
}

interface ProcessInternals {
  _getActiveHandles?: () => { _isStdio?: boolean; fd?: number }[];
}

/**
 * Whether anything of the app's own would keep Node running: ref'd handles, requests, timers.
 * stdout/stderr pipes are listed as ref'd handles but do not hold the loop open when idle (a
 * pending write shows up as a request), so they do not count.
 */
function appHasResources(): boolean {
  const resources = process.getActiveResourcesInfo().length;
  if (resources === 0) return false;
  const handles = (process as unknown as ProcessInternals)._getActiveHandles?.() ?? [];
  const stdioOut = handles.filter((h) => h._isStdio === true && (h.fd === 1 || h.fd === 2)).length;
  return resources > stdioOut;
}

export class Agent {
  readonly instance = randomBytes(8).toString('hex');
  readonly startedAt = Date.now();
  private readonly heartbeats: Heartbeats;
  private readonly token = Buffer.from(`zmq-topology:${randomBytes(16).toString('hex')}`);
  private readonly records = new Map<ZmqSocket, SocketRecord>();
  /**
   * Sockets whose constructor options set ZMQ_ROUTER_HANDOVER: zeromq.js applies them before the
   * agent adopts the socket, so adopt() finds them here.
   */
  private readonly handoverBeforeAdopt = new WeakSet<ZmqSocket>();
  private readonly copies: ZmqCopy[] = [];
  private nextSocketId = 1;
  private telemetry?: TelemetrySender;
  private timers: NodeJS.Timeout[] = [];
  /** App operations in flight (receive, send, bind, events): natively each keeps the process alive. */
  private appWaits = 0;
  private disconnectMsgWorks = false;
  private asleep = false;

  constructor(readonly config: AgentConfig, private readonly agentDir: string) {
    this.heartbeats = heartbeatKeys(parseHeartbeatPatterns(config.heartbeats));
    process.once('exit', () => this.safely(() => this.telemetry?.sendNow({ t: 'bye', reason: 'exit' })));
  }

  /** The app loaded a copy of zeromq (already patched to call adopt()). */
  addCopy(copy: ZmqCopy): void {
    this.copies.push(copy);
    if (this.copies.length === 1) this.safely(() => this.wake());
  }

  copyOf(socket: ZmqSocket): ZmqCopy | undefined {
    return this.copies.find((c) => socket instanceof c.zmq.Socket) ?? this.copies[0];
  }

  isAdopted(socket: ZmqSocket): boolean {
    return this.records.has(socket);
  }

  /** Starts reporting on a socket: wraps its methods on the instance and takes over its monitor. */
  adopt(socket: ZmqSocket, name?: string): void {
    this.safely(() => {
      const existing = this.records.get(socket);
      if (existing) {
        if (name !== undefined && existing.info.name !== name) {
          existing.info = { ...existing.info, name: name.slice(0, 256) };
          this.post({ t: 'socket', ...existing.info });
        }
        return;
      }
      const copy = this.copyOf(socket);
      if (!copy) return;
      this.wake();
      const type = socketType(socket);
      const routerHandover = this.handoverBeforeAdopt.delete(socket);
      const info: SocketInfo = {
        socket: this.nextSocketId++,
        type,
        options: readOptions(socket, false, routerHandover, type === 'SUB' ? 0 : undefined),
        createdAt: Date.now(),
      };
      if (name !== undefined) info.name = name.slice(0, 256);
      const routingId = readRoutingId(socket);
      if (routingId) info.routingId = routingId;
      const site = creationSite(this.agentDir);
      if (site) info.site = site;
      const rec = new SocketRecord(socket, info, envelopeKind(type));
      rec.routerHandover = routerHandover;
      if (type === 'SUB') rec.subscriptions = new Map();
      this.records.set(socket, rec);
      this.forgetOldClosed();
      if (type === 'ROUTER') this.setToken(rec, true);
      const nativeEvents = Object.getOwnPropertyDescriptor(copy.zmq.Socket.prototype, 'events')?.get;
      if (nativeEvents) this.watch(rec, nativeEvents.call(socket) as ZmqObserver);
      this.handlers(rec);
      this.post({ t: 'socket', ...info });
    });
  }

  // ── socket wrapping ────────────────────────────────────────────────────────────────────────────

  /**
   * Wraps the methods of one socket class. zeromq.js seals its sockets, so nothing can be added to
   * an instance: the wrappers live on the class prototype and look the socket's record up (sockets
   * the agent does not know about go straight to the original methods).
   */
  instrumentClass(proto: object, copy: ZmqCopy): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrappers need the socket as `this` and the agent
    const agent = this;
    const records = this.records;
    const original = <K extends keyof SocketMethods>(name: K): SocketMethods[K] => {
      const value: unknown = Reflect.get(proto, name);
      return (typeof value === 'function' ? value : undefined) as SocketMethods[K];
    };
    const define = (key: string, value: unknown): void => {
      Object.defineProperty(proto, key, { value, writable: true, configurable: true, enumerable: false });
    };

    const nativeEvents = Object.getOwnPropertyDescriptor(copy.zmq.Socket.prototype, 'events')?.get;
    if (nativeEvents) {
      Object.defineProperty(proto, 'events', {
        configurable: true,
        enumerable: false,
        get(this: ZmqSocket): unknown {
          const rec = records.get(this);
          if (rec === undefined) return nativeEvents.call(this);
          // Natively the observer is created on first access, which fails on a closed socket: the
          // agent's own monitor exists already, so make the app's first access fail as natively.
          if (rec.appEvents === undefined && this.closed) new copy.zmq.Observer(this).close();
          // Natively the observer is created on first access: the app's buffering starts here too.
          rec.appEvents ??= createAppObserver(copy.zmq, (d) => { agent.appWaits += d; });
          return rec.appEvents.observer;
        },
      });
    }

    const receive = original('receive');
    if (receive) {
      const wrappedReceive = function receive_(this: ZmqSocket): Promise<Buffer[]> {
        const rec = records.get(this);
        if (rec === undefined) return receive.call(this);
        const pending = receive.call(this);
        agent.appWaits++;
        if (agent.asleep) agent.safely(() => agent.wake());
        // Only a socket that may receive the agent's token needs its messages before the app; the
        // others hand the app the native promise and count beside it (one microtask less).
        if (!rec.tokenUsed) {
          pending.then(rec.onReceivedAside, rec.onSettledAside);
          return pending;
        }
        rec.receiveAgain ??= wrappedReceive;
        return pending.then(rec.onReceived, rec.onReceiveFailed);
      };
      define('receive', wrappedReceive);
    }

    const send = original('send');
    if (send) {
      define('send', function send_(this: ZmqSocket, message: MessageLike | MessageLike[], options?: unknown): Promise<void> {
        const rec = records.get(this);
        // A first message's time is when the app sent it, read before the native send: read after, a
        // thread descheduled in between stamped it later than the peer's arrival (7 ms on a busy box),
        // and the pairing took the two ends for different connections.
        const calledAt = rec?.stampsSends ? performance.now() : 0;
        // Server/Radio sends take an options object; other types get exactly one argument, as before.
        const pending = options === undefined ? send.call(this, message) : send.call(this, message, options);
        if (rec === undefined) return pending;
        agent.appWaits++;
        if (agent.asleep) agent.safely(() => agent.wake());
        // The app gets the native promise itself; the agent counts beside it, when it settles. The
        // common send (the one before has settled) waits in the record's slot and costs no closure.
        // One made before that settles (`for (w of workers) router.send([w, 'PING'])`, no await)
        // carries its own: in the slot it took the first one's place, so the first was counted as
        // the second and the second as an empty message from an empty routing id.
        if (rec.sendPending) {
          pending.then(() => agent.sentAside(rec, message, calledAt), rec.onSettledAside);
          return pending;
        }
        rec.sendPending = true;
        rec.pendingSend = message;
        // The promise may settle later than the wire: the log takes the call's time.
        if (rec.stampsSends) rec.pendingSendAt = calledAt;
        pending.then(rec.onSent, rec.onSendFailed);
        return pending;
      });
    }

    const bind = original('bind');
    const unbind = original('unbind');
    define('bind', function bind_(this: ZmqSocket, address: string): Promise<void> {
      const rec = records.get(this);
      return rec ? agent.endpointOp(rec, 'bind', address, () => bind.call(this, address)) : bind.call(this, address);
    });
    define('unbind', function unbind_(this: ZmqSocket, address: string): Promise<void> {
      const rec = records.get(this);
      return rec ? agent.endpointOp(rec, 'unbind', address, () => unbind.call(this, address)) : unbind.call(this, address);
    });

    const connect = original('connect');
    const disconnect = original('disconnect');
    define('connect', function connect_(this: ZmqSocket, ...args: unknown[]): void {
      const rec = records.get(this);
      if (rec === undefined) return connect.apply(this, args);
      agent.endpointOpSync(rec, 'connect', args[0], () => connect.apply(this, args));
    });
    define('disconnect', function disconnect_(this: ZmqSocket, address: string): void {
      const rec = records.get(this);
      if (rec === undefined) return disconnect.call(this, address);
      agent.endpointOpSync(rec, 'disconnect', address, () => disconnect.call(this, address));
    });

    const close = original('close');
    define('close', function close_(this: ZmqSocket): void {
      close.call(this);
      const rec = records.get(this);
      if (rec === undefined || rec.closed) return;
      agent.safely(() => {
        rec.closed = true;
        agent.post({ t: 'close', socket: rec.id });
      });
    });

    const setStringOption = original('setStringOption');
    define('setStringOption', function setStringOption_(this: ZmqSocket, option: number, value: string | Buffer | null): void {
      setStringOption.call(this, option, value);
      const rec = records.get(this);
      if (rec?.subscriptions !== undefined && (option === OPT.subscribe || option === OPT.unsubscribe)) {
        agent.safely(() => agent.appSubscribed(rec, value, option === OPT.subscribe));
        return;
      }
      if (option !== OPT.disconnectMsg || rec === undefined) return;
      agent.safely(() => {
        rec.appDisconnectMsg = value === null ? undefined : typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
        rec.tokenActive = false;
        if (rec.appDisconnectMsg === undefined && rec.info.type === 'ROUTER') agent.setToken(rec, false);
        agent.refreshInfo(rec);
      });
    });

    // zeromq.js's `handover` property (and the `handover` constructor option) set ZMQ_ROUTER_HANDOVER
    // through this; libzmq cannot read it back, so this is the only way the agent learns of it.
    const setBoolOption = original('setBoolOption');
    define('setBoolOption', function setBoolOption_(this: ZmqSocket, option: number, value: boolean): void {
      setBoolOption.call(this, option, value);
      if (option !== OPT.routerHandover) return;
      agent.safely(() => agent.appSetHandover(this, value));
    });
  }

  /** The app subscribed or unsubscribed a SUB (libzmq took it); a `null` prefix is the empty one (everything). */
  private appSubscribed(rec: SocketRecord, prefix: string | Buffer | null, subscribe: boolean): void {
    const subscriptions = rec.subscriptions!;
    const key = prefix === null ? '' : Buffer.from(prefix).toString('hex');
    const count = (subscriptions.get(key) ?? 0) + (subscribe ? 1 : -1);
    // Past the cap new prefixes go uncounted: the figure only has to tell none from some.
    if (count > 0 && (subscriptions.has(key) || subscriptions.size < SUBSCRIPTIONS_COUNTED)) subscriptions.set(key, count);
    else if (count <= 0) subscriptions.delete(key);
    this.refreshInfo(rec);
  }

  /** The app set ZMQ_ROUTER_HANDOVER (natively accepted, so `value` is a boolean). */
  private appSetHandover(socket: ZmqSocket, value: boolean): void {
    const rec = this.records.get(socket);
    if (rec === undefined) {
      if (value) this.handoverBeforeAdopt.add(socket);
      else this.handoverBeforeAdopt.delete(socket);
      return;
    }
    rec.routerHandover = value;
    this.refreshInfo(rec);
  }

  /** Per-socket settle handlers, made once so that a message costs no closure. */
  private handlers(rec: SocketRecord): void {
    rec.onReceived = (frames: Buffer[]): Buffer[] | Promise<Buffer[]> => {
      this.appWaits--;
      if (this.countIn(rec, frames)) return frames;
      // The agent's disconnect token: the app never sees it, it reads the next message instead.
      if (rec.socket.closed) throw errnoError('Socket is closed', 'EAGAIN', 11);
      return rec.receiveAgain!.call(rec.socket);
    };
    rec.onReceiveFailed = (err: unknown): never => {
      this.appWaits--;
      throw err;
    };
    rec.onReceivedAside = (frames: Buffer[]): void => {
      this.appWaits--;
      this.countIn(rec, frames);
    };
    rec.onSettledAside = (): void => {
      // The app handles its own rejection: this branch only ends the wait.
      this.appWaits--;
    };
    rec.onSent = (): void => {
      this.appWaits--;
      const message = rec.pendingSend;
      rec.sendPending = false;
      rec.pendingSend = null;
      try {
        this.countOut(rec, message, rec.pendingSendAt);
      } catch {
        // Accounting must never cost the app its send.
      }
    };
    rec.onSendFailed = (): void => {
      this.appWaits--;
      rec.sendPending = false;
      rec.pendingSend = null;
    };
  }

  /**
   * The private ZMQ_DISCONNECT_MSG on a ROUTER where the app set none. `probe` is the first try:
   * it also tells whether this libzmq supports the option at all.
   */
  private setToken(rec: SocketRecord, probe: boolean): void {
    try {
      this.setNativeOption(rec.socket, this.token);
      rec.tokenActive = true;
      rec.tokenUsed = true;
      if (probe) this.disconnectMsgWorks = true;
    } catch {
      rec.tokenActive = false;
    }
  }

  /** Sets ZMQ_DISCONNECT_MSG past the agent's own wrapper (which records what the app sets). */
  private setNativeOption(socket: ZmqSocket, value: Buffer | null): void {
    const native = this.copyOf(socket)?.zmq.Socket.prototype;
    const set = native ? (Reflect.get(native, 'setStringOption') as SocketMethods['setStringOption']) : undefined;
    if (!set) throw new Error('no setStringOption');
    set.call(socket, OPT.disconnectMsg, value);
  }

  /**
   * A Proxy forwards the socket's messages natively, past the agent: the token must not ride along,
   * and the socket is reported as proxied (its views say why they show no traffic).
   */
  proxied(socket: ZmqSocket): void {
    this.safely(() => {
      const rec = this.records.get(socket);
      if (!rec) return;
      if (rec.tokenActive) {
        this.setNativeOption(socket, null);
        rec.tokenActive = false;
      }
      if (rec.info.proxied) return;
      rec.info = { ...rec.info, proxied: true };
      this.post({ t: 'socket', ...rec.info });
    });
  }

  /** Counts an app operation the agent cannot see into (Proxy.run) as keeping the process alive. */
  track<T>(pending: Promise<T>): Promise<T> {
    this.appWaits++;
    return pending.then(
      (value) => {
        this.appWaits--;
        return value;
      },
      (err: unknown) => {
        this.appWaits--;
        throw err;
      },
    );
  }

  /** Counts an incoming message; false when it is the agent's disconnect token (to be hidden). */
  private countIn(rec: SocketRecord, frames: Buffer[]): boolean {
    try {
      let routingId: Buffer | undefined;
      if (rec.kind === 'router') {
        routingId = frames[0];
        if (frames.length === 2 && frames[1].length === 0 && rec.info.type === 'STREAM' && this.streamPeerClosed(rec, routingId)) return true;
        if (frames.length === 2 && (rec.tokenUsed || rec.appDisconnectMsg !== undefined)) {
          const disconnect = this.disconnectMsgKind(rec, frames);
          if (disconnect === 'token') return false;
          if (disconnect === 'app') return true;
        }
      }
      let bytes = 0;
      for (let i = 0; i < frames.length; i++) bytes += frames[i].length;
      const stats = rec.peerStats(routingId);
      const now = Date.now();
      stats.gone = false;
      stats.msgsIn++;
      stats.bytesIn += bytes;
      stats.lastMessageIn = now;
      if (stats.countType(frames, typeFrameIndex(rec.kind, frames), this.heartbeats)) stats.lastHeartbeatIn = now;
      if (rec.logsFirst && rec.firstHasRoom(stats, true)) rec.logFirst(stats, true, frames);
    } catch {
      // Accounting must never cost the app its message.
    }
    return true;
  }

  /**
   * A STREAM socket's empty message is libzmq's notice of a connection (ZMQ_STREAM_NOTIFY): the first
   * for a routing id says it opened (counted as the peer's first message), a later one that it closed
   * (TCP carries no empty data, and libzmq never reuses a STREAM id). That one is the peer's loss.
   */
  private streamPeerClosed(rec: SocketRecord, routingId: Buffer): boolean {
    if (!rec.peers.has(routingId.toString('latin1'))) return false;
    this.peerGone(rec, routingId);
    this.post({ t: 'disconnect-msg', socket: rec.id, peer: toBin(routingId) });
    return true;
  }

  /**
   * A peer's ZMQ_DISCONNECT_MSG. The token is recognised even after the app set its own text:
   * connections made before that still carry the token.
   */
  private disconnectMsgKind(rec: SocketRecord, frames: Buffer[]): 'token' | 'app' | undefined {
    const body = frames[1];
    if (rec.tokenUsed && body.length === this.token.length && body.equals(this.token)) {
      this.peerGone(rec, frames[0]);
      this.post({ t: 'disconnect-msg', socket: rec.id, peer: toBin(frames[0]) });
      return 'token';
    }
    const appText = rec.appDisconnectMsg;
    if (appText !== undefined && body.length === appText.length && body.equals(appText)) {
      this.peerGone(rec, frames[0]);
      this.post({ t: 'disconnect-msg', socket: rec.id, peer: toBin(frames[0]), text: toBin(body, LIMITS.textBytes) });
      return 'app';
    }
    return undefined;
  }

  private peerGone(rec: SocketRecord, routingId: Buffer): void {
    const stats = rec.peers.get(routingId.toString('latin1'));
    if (stats) stats.gone = true;
  }

  /** A send made while another was unsettled: counted with its own message. */
  private sentAside(rec: SocketRecord, message: MessageLike | MessageLike[], calledAt: number): void {
    this.appWaits--;
    try {
      this.countOut(rec, message, calledAt);
    } catch {
      // Accounting must never cost the app its send.
    }
  }

  private countOut(rec: SocketRecord, message: MessageLike | MessageLike[], calledAt: number): void {
    const frames: ArrayLike<MessageLike> = Array.isArray(message) ? message : [message];
    let routingId: Uint8Array | undefined;
    if (rec.kind === 'router' && frames.length > 0) {
      const first = frames[0];
      routingId = typeof first === 'string' ? Buffer.from(first, 'utf8') : typeBytes(first);
    }
    let bytes = 0;
    for (let i = 0; i < frames.length; i++) bytes += frameBytes(frames[i]);
    const stats = rec.peerStats(routingId);
    const now = Date.now();
    stats.gone = false;
    stats.msgsOut++;
    stats.bytesOut += bytes;
    stats.lastMessageOut = now;
    if (stats.countType(frames, typeFrameIndex(rec.kind, frames), this.heartbeats)) stats.lastHeartbeatOut = now;
    if (rec.logsFirst && rec.firstHasRoom(stats, false)) rec.logFirst(stats, false, frames, calledAt);
  }

  private endpointOp(rec: SocketRecord, op: 'bind' | 'unbind', address: unknown, call: () => Promise<void>): Promise<void> {
    let pending: Promise<void>;
    try {
      pending = call();
    } catch (err) {
      this.reportEndpoint(rec, op, address, false, err);
      throw err;
    }
    this.appWaits++;
    if (this.asleep) this.wake();
    return pending.then(
      () => {
        this.appWaits--;
        this.reportEndpoint(rec, op, address, true);
      },
      (err: unknown) => {
        this.appWaits--;
        this.reportEndpoint(rec, op, address, false, err);
        throw err;
      },
    );
  }

  private endpointOpSync(rec: SocketRecord, op: 'connect' | 'disconnect', address: unknown, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.reportEndpoint(rec, op, address, false, err);
      throw err;
    }
    this.reportEndpoint(rec, op, address, true);
  }

  private reportEndpoint(rec: SocketRecord, op: 'bind' | 'unbind' | 'connect' | 'disconnect', address: unknown, ok: boolean, err?: unknown): void {
    this.safely(() => {
      const requested = String(address).slice(0, LIMITS.endpointChars);
      let resolved: string | undefined;
      if (ok && op === 'bind') {
        resolved = rawOptions(rec.socket).getStringOption(OPT.lastEndpoint)?.slice(0, LIMITS.endpointChars) ?? undefined;
      }
      // Failures are state (in the snapshot), so one made before the collector listened still reaches
      // it; the same call succeeding, or failing again, replaces it.
      const earlier = rec.failed.findIndex((f) => f.op === op && f.requested === requested);
      const times = earlier >= 0 ? rec.failed.splice(earlier, 1)[0].times + 1 : 1;
      if (!ok) {
        rec.failed.push({ op, requested, error: errorText(err), at: Date.now(), times });
        if (rec.failed.length > LIMITS.failuresPerSocket) rec.failed.shift();
      }
      if (ok) {
        const at = Date.now();
        if (op === 'bind' || op === 'connect') {
          rec.endpoints.push({ op, requested, ...(resolved ? { resolved } : {}), at });
          if (rec.endpoints.length > LIMITS.endpointsPerSocket) rec.endpoints.shift();
        } else {
          const i = rec.endpoints.findIndex((e) => e.requested === requested || e.resolved === requested);
          if (i >= 0) rec.endpoints.splice(i, 1);
        }
        this.refreshInfo(rec);
      }
      this.post({
        t: 'endpoint', socket: rec.id, op, requested, ok,
        ...(resolved ? { resolved } : {}),
        ...(err !== undefined ? { error: errorText(err) } : {}),
      });
    });
  }

  /** Options and routing id may be set after construction: report the socket again when they change. */
  private refreshInfo(rec: SocketRecord): void {
    if (rec.closed) return;
    const info: SocketInfo = { ...rec.info, options: readOptions(rec.socket, rec.appDisconnectMsg !== undefined, rec.routerHandover, rec.subscriptions?.size) };
    const routingId = readRoutingId(rec.socket);
    if (routingId) info.routingId = routingId;
    if (JSON.stringify(info) === JSON.stringify(rec.info)) return;
    rec.info = info;
    this.post({ t: 'socket', ...info });
  }

  // ── monitor ────────────────────────────────────────────────────────────────────────────────────

  private watch(rec: SocketRecord, monitor: ZmqSocket['events']): void {
    rec.monitor = monitor;
    const pump = async (): Promise<void> => {
      while (!monitor.closed) {
        const event = await monitor.receive();
        // Undefined: the agent closed this monitor itself (the process is about to exit).
        if (event === undefined) return;
        this.safely(() => this.onEvent(rec, event));
      }
    };
    pump().catch(() => {});
  }

  private onEvent(rec: SocketRecord, event: ZmqEvent): void {
    rec.appEvents?.push(event);
    if (event.type === 'disconnect' && rec.kind !== 'router') {
      // The connection's log goes out before the next one's replaces it: it may not have been flushed
      // yet (a peer gone within a flush interval of connecting), and it is what ties the ROUTER's peer.
      if (rec.firstUnsent()) this.flush();
      rec.connectionLost();
    }
    const detail = event as { address?: string; interval?: number; error?: unknown };
    const address = typeof detail.address === 'string' ? detail.address.slice(0, LIMITS.endpointChars) : undefined;
    let accepted: number | undefined;
    if (address !== undefined) {
      if (event.type === 'accept') accepted = rec.connectionAccepted(address);
      else if (event.type === 'disconnect') accepted = rec.acceptedClosed(address);
      rec.connectEvent(event.type, address, Date.now());
    }
    this.post({
      t: 'event', socket: rec.id, event: eventType(event.type),
      ...(address !== undefined ? { address } : {}),
      ...(typeof detail.interval === 'number' ? { interval: Math.max(0, Math.min(2 ** 31, Math.round(detail.interval))) } : {}),
      ...(detail.error !== undefined ? { error: errorText(detail.error) } : {}),
      ...(accepted !== undefined ? { accepted } : {}),
    });
  }

  // ── telemetry ──────────────────────────────────────────────────────────────────────────────────

  private post(msg: Outgoing): void {
    this.telemetry?.post(msg);
  }

  /** Starts (or restarts after a quiet spell) the telemetry socket, monitors and timers. */
  private wake(): void {
    if (this.telemetry && !this.asleep) return;
    const copy = this.copies[0];
    if (!copy) return;
    this.asleep = false;
    this.telemetry = new TelemetrySender(copy.zmq, copy.Dealer, this.config.endpoint, {
      hello: () => this.hello(),
      snapshot: () => this.snapshot(),
    });
    for (const rec of this.records.values()) {
      if (!rec.closed && rec.monitor?.closed) {
        // What was accepted or closed while no monitor read the events is unknown: counted afresh
        // (too few peers without an agent rather than ones that are gone).
        rec.accepted = undefined;
        rec.forgetConnectsUp();
        this.watch(rec, new copy.zmq.Observer(rec.socket));
      }
    }
    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(() => this.safely(fn), ms);
      t.unref();
      this.timers.push(t);
    };
    every(FLUSH_MS, () => this.flush());
    every(BEAT_MS, () => {
      if (this.telemetry?.connected) this.post({ t: 'beat', dropped: this.telemetry.dropped, missed: this.telemetry.missed, queued: this.telemetry.queued });
      else this.telemetry?.followRendezvous();
    });
    every(IDLE_CHECK_MS, () => this.sleepIfIdle());
  }

  /**
   * The agent's monitors hold native polls that would keep the process alive forever. When nothing
   * of the app's is left (no ref'd Node handle, no zeromq operation in flight) the process would
   * have exited natively: say bye and let go of everything so it does.
   */
  private sleepIfIdle(): void {
    if (this.appWaits > 0 || appHasResources()) return;
    this.asleep = true;
    this.flush();
    const telemetry = this.telemetry;
    telemetry?.sendNow({ t: 'bye', reason: 'idle' });
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const rec of this.records.values()) rec.monitor?.close();
    // Closed a moment later so the bye can leave; a ref'd immediate runs at once and never waits.
    setImmediate(() => telemetry?.close());
  }

  private flush(): void {
    // Without a collector nothing is lost by waiting: the snapshot sent on connecting carries the
    // totals and starts the deltas afresh.
    if (!this.telemetry?.connected) return;
    const peers = [];
    for (const rec of this.records.values()) {
      for (const stats of rec.peers.values()) {
        if (stats.changed) peers.push(stats.takeDelta(rec.id));
      }
    }
    for (let i = 0; i < peers.length; i += LIMITS.peersPerTraffic) {
      this.post({ t: 'traffic', peers: peers.slice(i, i + LIMITS.peersPerTraffic) });
    }
  }

  private hello(): Outgoing {
    const copy = this.copies[0];
    return {
      t: 'hello',
      instance: this.instance,
      pid: process.pid,
      host: os.hostname().slice(0, 256),
      title: process.title.slice(0, 256),
      ...(this.config.node ? { node: this.config.node.slice(0, 256) } : {}),
      ...(workerThreadId > 0 ? { thread: workerThreadId } : {}),
      argv: process.argv.slice(0, 64).map((a) => a.slice(0, 1024)),
      runtime: {
        name: 'node',
        version: process.versions.node,
        binding: `zeromq.js ${copy?.bindingVersion ?? 'unknown'}`,
        libzmq: copy?.zmq.version ?? 'unknown',
        disconnectMsg: this.disconnectMsgWorks || (copy?.zmq.capability.draft ?? false),
      },
      agent: { name: AGENT_NAME, version: AGENT_VERSION },
      startedAt: this.startedAt,
    };
  }

  private snapshot(): Outgoing {
    const sockets = [...this.records.values()].slice(-LIMITS.socketsPerSnapshot).map((rec) => rec.snapshot());
    return { t: 'snapshot', sockets, dropped: this.telemetry?.dropped ?? 0, missed: this.telemetry?.missed ?? 0 };
  }

  private forgetOldClosed(): void {
    let closed = 0;
    for (const rec of this.records.values()) if (rec.closed) closed++;
    for (const [socket, rec] of this.records) {
      if (closed <= CLOSED_SOCKETS_KEPT) break;
      if (rec.closed) {
        this.records.delete(socket);
        closed--;
      }
    }
  }

  /** The agent's own failures stay inside the agent. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch {
      // Telemetry is best effort; the app must not notice the agent.
    }
  }
}
