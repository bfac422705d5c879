/**
 * Agentless probes: the extension's own monitored sockets on user-given endpoints. Each probe reports
 * as a synthetic "probe" process (agent key `probe:<id>`) with the same telemetry messages an agent
 * sends, so the store draws it with no special code. docs/PROBES.md has the why of every choice here.
 */
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import type * as Zmq from 'zeromq';
import { loadZeromq } from '../collector/zmq';
import { toBin } from '../protocol/bin';
import { LIMITS, PROTOCOL_VERSION, type SocketType, type TelemetryMsg } from '../protocol/types';
import { probeSocketTypeFor, type ProbeOutcome, type ProbePlan, type ProbeSocketType } from './probeType';

/** The extension's one copy of zeromq (src/collector/zmq.ts): this module is loaded once it loaded. */
const zmq = loadZeromq();

export type ProbeId = string;
export type TelemetrySink = (agentKey: string, msg: TelemetryMsg) => void;

export interface ProbeSpec {
  endpoint: string;
  /** The remote (app) socket's type; decides the probe's type. Unknown → an inert PUB. */
  socketType?: SocketType;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
}

export interface ProbeManagerOptions {
  /** How often each probe sends `beat` (and `traffic` when something arrived). */
  beatIntervalMs?: number;
  /** libzmq's reconnect interval while nothing answers at the endpoint. */
  reconnectIntervalMs?: number;
  /** Pause after a refused handshake before the next check (libzmq itself never retries one). */
  recheckIntervalMs?: number;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** Reported as the agent version in `hello` (the extension's version). */
  agentVersion?: string;
}

/**
 * connecting: TCP or ZMTP handshake under way. connected: handshake done, ZMTP heartbeats answered.
 * reachable: a ZMTP peer answered and refused the probe's socket type, as planned. retrying: nothing
 * accepts the connection. disconnected: a connection (or a handshake) was lost. failed: the handshake
 * was refused where it should have completed (wrong remote type, security mechanism).
 */
export type ProbeState = 'connecting' | 'connected' | 'reachable' | 'retrying' | 'disconnected' | 'failed';

export interface ProbeStatus {
  id: ProbeId;
  agentKey: string;
  endpoint: string;
  remoteType: SocketType;
  probeType: ProbeSocketType;
  expect: ProbeOutcome;
  /** Routing id of a DEALER probe, recognisable in the app's ROUTER. */
  routingId?: string;
  state: ProbeState;
  since: number;
  /** connect:retry events since the endpoint last answered. */
  retries: number;
  /** Messages that arrived on the probe socket: only ever what the app addressed to the probe itself. */
  received: number;
  lastError?: string;
}

type ProbeSocket = Zmq.Dealer | Zmq.Subscriber | Zmq.Publisher | Zmq.Push;
type MsgBody = TelemetryMsg extends infer M ? (M extends TelemetryMsg ? Omit<M, 'v' | 'seq' | 'at'> : never) : never;

/** Each probe is a process of its own in the model, holding exactly one socket. */
const PROBE_SOCKET = 1;
const ENDPOINT = /^(tcp:\/\/\S+:\d{1,5}|ipc:\/\/\S+)$/;
const DEFAULTS = {
  beatIntervalMs: 1000,
  reconnectIntervalMs: 1000,
  recheckIntervalMs: 5000,
  heartbeatIntervalMs: 1000,
  heartbeatTimeoutMs: 3000,
  agentVersion: '0.0.0',
};
const RECEIVE_HWM = 100;

function errorText(error: { code?: string; message: string }): string {
  return (error.code ? `${error.code}: ${error.message}` : error.message).slice(0, LIMITS.stringChars);
}

function positiveInt(value: number, what: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${what} must be a positive integer (ms), got ${value}`);
  return value;
}

interface ProbeTiming {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  recheckIntervalMs: number;
}

function createSocket(plan: ProbePlan, timing: ProbeTiming, context: Zmq.Context, reconnectInterval: number, routingId: string | undefined): ProbeSocket {
  const common = {
    context,
    linger: 0,
    reconnectInterval,
    heartbeatInterval: timing.heartbeatIntervalMs,
    heartbeatTimeout: timing.heartbeatTimeoutMs,
    // Lets the remote drop our connection too if this process freezes.
    heartbeatTimeToLive: timing.heartbeatTimeoutMs,
    // A hung peer still accepts TCP (kernel backlog) but never finishes the handshake: bound it alike.
    handshakeInterval: timing.heartbeatTimeoutMs,
  };
  switch (plan.probeType) {
    case 'DEALER':
      return new zmq.Dealer({ ...common, routingId, receiveHighWaterMark: RECEIVE_HWM });
    case 'SUB':
      // Deliberately never subscribes: a PUB sends it nothing.
      return new zmq.Subscriber({ ...common, receiveHighWaterMark: RECEIVE_HWM });
    case 'PUB':
      return new zmq.Publisher(common);
    case 'PUSH':
      return new zmq.Push(common);
  }
}

class Probe {
  readonly agentKey: string;
  state: ProbeState = 'connecting';
  since = Date.now();
  retries = 0;
  received = 0;
  lastError: string | undefined;
  private seq = 0;
  private readonly instance = randomBytes(8).toString('hex');
  private receivedBytes = 0;
  private reportedReceived = 0;
  private reportedBytes = 0;
  private lastMessageIn: number | undefined;
  /** When TCP connected in the current attempt; undefined between attempts. */
  private tcpConnectedAt: number | undefined;
  private handshaken = false;
  private attemptError: string | undefined;
  /** A refused attempt was cancelled: its leftover events are not news. */
  private checkEnded = false;
  private closing = false;
  private recheckTimer: NodeJS.Timeout | undefined;
  private readonly loops: Promise<void>[] = [];

  constructor(
    readonly id: ProbeId,
    readonly endpoint: string,
    readonly plan: ProbePlan,
    readonly routingId: string | undefined,
    private readonly socket: ProbeSocket,
    private readonly timing: ProbeTiming,
    private readonly sink: TelemetrySink,
  ) {
    this.agentKey = `probe:${id}`;
  }

  start(events: Zmq.Observer, agentVersion: string): void {
    const now = Date.now();
    this.emit({
      t: 'hello', instance: this.instance, pid: process.pid, host: os.hostname(), title: 'zmq-topology probe',
      node: `probe ${this.endpoint}`, argv: [],
      runtime: { name: 'probe', version: process.version, binding: 'zeromq.js', libzmq: zmq.version, disconnectMsg: false },
      agent: { name: 'zmq-topology-probe', version: agentVersion }, startedAt: now,
    });
    this.emit({ t: 'snapshot', sockets: [], dropped: 0 });
    this.emit({
      t: 'socket', socket: PROBE_SOCKET, type: this.plan.probeType, name: `probe ${this.endpoint}`,
      ...(this.routingId ? { routingId: toBin(this.routingId) } : {}),
      options: {
        heartbeatIvl: this.timing.heartbeatIntervalMs, heartbeatTtl: this.timing.heartbeatTimeoutMs,
        heartbeatTimeout: this.timing.heartbeatTimeoutMs, disconnectMsg: false, linger: 0,
      },
      createdAt: now,
    });
    this.emit({ t: 'endpoint', socket: PROBE_SOCKET, op: 'connect', requested: this.endpoint, ok: true });
    this.loops.push(this.watch(events));
    if (this.socket instanceof zmq.Dealer || this.socket instanceof zmq.Subscriber) this.loops.push(this.drain(this.socket));
  }

  status(): ProbeStatus {
    return {
      id: this.id, agentKey: this.agentKey, endpoint: this.endpoint, remoteType: this.plan.remoteType,
      probeType: this.plan.probeType, expect: this.plan.expect, ...(this.routingId ? { routingId: this.routingId } : {}),
      state: this.state, since: this.since, retries: this.retries, received: this.received,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  beat(): void {
    if (this.received > this.reportedReceived) {
      this.emit({
        t: 'traffic',
        peers: [{
          socket: PROBE_SOCKET, msgsIn: this.received - this.reportedReceived, msgsOut: 0,
          bytesIn: this.receivedBytes - this.reportedBytes, bytesOut: 0, types: {},
          ...(this.lastMessageIn !== undefined ? { lastMessageIn: this.lastMessageIn } : {}),
        }],
      });
      this.reportedReceived = this.received;
      this.reportedBytes = this.receivedBytes;
    }
    this.emit({ t: 'beat', dropped: 0, queued: 0 });
  }

  async close(reason: string): Promise<void> {
    this.closing = true;
    clearTimeout(this.recheckTimer);
    this.socket.close();
    await Promise.all(this.loops);
    this.emit({ t: 'close', socket: PROBE_SOCKET });
    this.emit({ t: 'bye', reason });
  }

  private emit(body: MsgBody, at: number = Date.now()): void {
    this.sink(this.agentKey, { v: PROTOCOL_VERSION, seq: ++this.seq, at, ...body } as TelemetryMsg);
  }

  private setState(state: ProbeState, at: number): void {
    if (state !== this.state) this.since = at;
    this.state = state;
  }

  private async watch(events: Zmq.Observer): Promise<void> {
    try {
      for await (const event of events) this.onEvent(event);
    } catch (err) {
      if (!this.closing) {
        this.lastError = `probe stopped watching its socket: ${err instanceof Error ? err.message : String(err)}`;
        this.setState('failed', Date.now());
      }
    }
  }

  /** Only what the app explicitly addressed to this probe can arrive; it is counted, then dropped. */
  private async drain(socket: Zmq.Dealer | Zmq.Subscriber): Promise<void> {
    try {
      for await (const frames of socket) {
        this.received += 1;
        this.receivedBytes += frames.reduce((sum, frame) => sum + frame.length, 0);
        this.lastMessageIn = Date.now();
      }
    } catch {
      // Ends when the socket is closed.
    }
  }

  private onEvent(event: Zmq.Event): void {
    // `end` is the monitor's own end of stream, not a connection event.
    if (event.type === 'end' || this.checkEnded) return;
    const at = Date.now();
    const address = 'address' in event ? event.address : undefined;
    const error = 'error' in event ? errorText(event.error) : undefined;
    this.emit({
      t: 'event', socket: PROBE_SOCKET, event: event.type,
      ...(address !== undefined ? { address } : {}),
      ...('interval' in event ? { interval: event.interval } : {}),
      ...(error !== undefined ? { error } : {}),
    }, at);
    switch (event.type) {
      case 'connect:retry':
        this.retries += 1;
        this.setState('retrying', at);
        break;
      case 'connect':
        this.tcpConnectedAt = at;
        this.attemptError = undefined;
        this.setState('connecting', at);
        break;
      case 'handshake':
        this.handshaken = true;
        this.retries = 0;
        this.lastError = undefined;
        this.setState('connected', at);
        break;
      case 'handshake:error:protocol':
      case 'handshake:error:auth':
      case 'handshake:error:other':
        this.attemptError = error;
        this.lastError = error;
        break;
      case 'disconnect':
        this.onDisconnect(at);
        break;
      default:
        break;
    }
  }

  private onDisconnect(at: number): void {
    const connectedAt = this.tcpConnectedAt;
    this.tcpConnectedAt = undefined;
    if (this.handshaken) {
      this.handshaken = false;
      this.lastError = `connection lost: the peer closed it, or sent nothing within the ZMTP heartbeat timeout (${this.timing.heartbeatTimeoutMs} ms)`;
      this.setState('disconnected', at);
    } else if (connectedAt !== undefined && at - connectedAt < this.timing.heartbeatTimeoutMs / 2) {
      // Closed well before the handshake timeout: the peer refused us (socket type or mechanism).
      this.endRefusedCheck(at);
    } else {
      this.lastError = `handshake did not complete within ${this.timing.heartbeatTimeoutMs} ms: the peer accepts TCP but does not answer (hung?)`;
      this.setState('disconnected', at);
    }
  }

  /**
   * libzmq 4.3.5 emits no monitor event for a socket-type mismatch and never reconnects after one, so
   * the probe says what happened itself and schedules the next check.
   */
  private endRefusedCheck(at: number): void {
    const expected = this.plan.expect === 'refused';
    const inferred = expected
      ? `socket-type mismatch: the ${this.plan.remoteType} endpoint refused the ${this.plan.probeType} probe, as intended; a ZMTP peer is listening`
      : `the peer ended the handshake at once: it is probably not a ${this.plan.remoteType}, or it requires a security mechanism`;
    // The refusing peer closes at once; our handshake write may then fail first, which libzmq reports
    // as a bare EPIPE/ECONNRESET: the same refusal, not a different cause.
    const peerClosed = this.attemptError !== undefined && /^(EPIPE|ECONNRESET)\b/.test(this.attemptError);
    if (expected || this.attemptError === undefined || peerClosed) {
      const text = `${inferred} (inferred by the probe: libzmq reports no event for a socket-type mismatch${peerClosed ? `; it said ${this.attemptError}` : ''})`;
      this.emit({ t: 'event', socket: PROBE_SOCKET, event: 'handshake:error:protocol', address: this.endpoint, error: text }, at);
      this.lastError = text;
    }
    this.retries = 0;
    this.setState(expected ? 'reachable' : 'failed', at);
    this.checkEnded = true;
    try {
      // Stop any reconnecting libzmq does after the remote's refusal: the next check is ours.
      this.socket.disconnect(this.endpoint);
    } catch {
      // Already gone from libzmq's side.
    }
    this.recheckTimer = setTimeout(() => {
      if (this.closing) return;
      this.checkEnded = false;
      this.socket.connect(this.endpoint);
    }, this.timing.recheckIntervalMs);
    this.recheckTimer.unref();
  }
}

export class ProbeManager {
  private readonly options: typeof DEFAULTS;
  /** The probes' own context: never the app's, never zeromq's global one. */
  private readonly context = new zmq.Context();
  private readonly probes = new Map<ProbeId, Probe>();
  private beatTimer: NodeJS.Timeout | undefined;

  constructor(private readonly sink: TelemetrySink, options: ProbeManagerOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Starts probing `spec.endpoint`; throws when the endpoint or its socket type cannot be probed. */
  add(spec: ProbeSpec): ProbeId {
    const endpoint = spec.endpoint.trim();
    if (endpoint.length > LIMITS.endpointChars || !ENDPOINT.test(endpoint)) {
      throw new Error(`cannot probe "${spec.endpoint}": give tcp://host:port or ipc://path`);
    }
    const plan = probeSocketTypeFor(spec.socketType ?? 'UNKNOWN');
    if (plan.probeType === null) throw new Error(`cannot probe a ${plan.remoteType} endpoint: ${plan.why}`);
    const timing: ProbeTiming = {
      heartbeatIntervalMs: positiveInt(spec.heartbeatIntervalMs ?? this.options.heartbeatIntervalMs, 'heartbeatIntervalMs'),
      heartbeatTimeoutMs: positiveInt(spec.heartbeatTimeoutMs ?? this.options.heartbeatTimeoutMs, 'heartbeatTimeoutMs'),
      recheckIntervalMs: this.options.recheckIntervalMs,
    };
    const id = randomBytes(4).toString('hex');
    const routingId = plan.probeType === 'DEALER' ? `zmq-topology-probe-${randomBytes(6).toString('hex')}` : undefined;
    const socket = createSocket(plan, timing, this.context, this.options.reconnectIntervalMs, routingId);
    // The probe owns its monitor; it must exist before connect() so no event is missed.
    const events = socket.events;
    try {
      socket.connect(endpoint);
    } catch (err) {
      socket.close();
      throw new Error(`cannot probe "${endpoint}": ${err instanceof Error ? err.message : String(err)}`);
    }
    const probe = new Probe(id, endpoint, plan, routingId, socket, timing, this.sink);
    this.probes.set(id, probe);
    probe.start(events, this.options.agentVersion);
    this.ensureBeating();
    return id;
  }

  /** Closes the probe; its last messages are `close` and `bye`. False when no such probe. */
  async remove(id: ProbeId): Promise<boolean> {
    const probe = this.probes.get(id);
    if (!probe) return false;
    this.probes.delete(id);
    if (this.probes.size === 0) this.stopBeating();
    await probe.close('probe removed');
    return true;
  }

  list(): ProbeStatus[] {
    return [...this.probes.values()].map((probe) => probe.status());
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.probes.keys()].map((id) => this.remove(id)));
  }

  private ensureBeating(): void {
    if (this.beatTimer) return;
    this.beatTimer = setInterval(() => {
      for (const probe of this.probes.values()) probe.beat();
    }, this.options.beatIntervalMs);
    this.beatTimer.unref();
  }

  private stopBeating(): void {
    clearInterval(this.beatTimer);
    this.beatTimer = undefined;
  }
}
