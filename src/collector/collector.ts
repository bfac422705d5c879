/**
 * The collector: a ROUTER that agents' DEALERs send telemetry to (one JSON frame per message).
 * Each message is decoded (never throws), applied to the store with its arrival time, or counted as
 * malformed. ZMQ_DISCONNECT_MSG on the ROUTER tells at once when an agent's connection goes.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type * as Zmq from 'zeromq';
import { decode } from '../protocol/codec';
import { clearRendezvous, writeRendezvous } from '../protocol/rendezvous';
import { LIMITS } from '../protocol/types';
import type { TopologyStore } from '../model/store';
import type { TelemetryMsg } from '../protocol/types';
import type { CollectorStatus } from '../shared/snapshot';
import { isZ85Key, z85Encode, type CurveKeyPair } from './keys';
import { loadZeromq, setStringOption, ZMQ_DISCONNECT_MSG } from './zmq';


/** The longest the receive loop runs on a backlog before it lets timers and I/O in. */
const RECEIVE_SLICE_MS = 10;
export interface CollectorOptions {
  /** Default 127.0.0.1. Any address other than loopback requires `curve` (docs/ARCHITECTURE.md invariant 4). */
  address?: string;
  /**
   * The collector's CURVE key pair: the ROUTER becomes a CURVE server and a ZAP handler admits only
   * CURVE clients. Required off loopback; on loopback it is optional (and how tests exercise it).
   */
  curve?: CurveKeyPair;
  /**
   * Client public keys (Z85) admitted under CURVE. Empty or absent: any client that knows the server's
   * public key is admitted (docs/REMOTE.md says why that is weaker).
   */
  allowedClientKeys?: readonly string[];
  /** Default 5599; 0 = any free port. */
  port?: number;
  /** When the port is taken, bind a free one instead (and emit 'fallback'). Default true. */
  fallbackToFreePort?: boolean;
  /**
   * How long a taken port is tried again before falling back (ms; default 0). A reloaded window's new
   * extension host finds the port still held by the old one, which lets go within a moment.
   */
  busyPortRetryMs?: number;
  /**
   * Leave a note where agents given the requested loopback endpoint find this collector
   * (protocol/rendezvous.ts). Default true.
   */
  rendezvous?: boolean;
}

/** How often a taken port is tried again while busyPortRetryMs lasts. */
const BUSY_PORT_RETRY_INTERVAL_MS = 200;

export const DEFAULT_COLLECTOR_PORT = 5599;

/**
 * Told of each valid telemetry message with the frame it was decoded from, just before the store gets
 * it: a recorder keeps the frame's bytes instead of serialising the message again (docs/RECORDING.md).
 */
export type FrameTap = (agentKey: string, frame: Buffer, msg: TelemetryMsg, receivedAt: number) => void;

/** Frames a ROUTER message must have: the agent's routing id and one telemetry frame. */
const FRAMES_PER_MESSAGE = 2;
/**
 * Per-agent inbound queue (libzmq applies the high-water mark per peer pipe, in messages). When it is
 * full libzmq stops reading that agent's TCP connection: nothing is dropped here, the agent's own
 * queue fills and the agent counts what it drops (the node's `dropped`). 10,000 let a 64-agent flood
 * hold ≈ 1 GB in these queues (docs/RELIABILITY.md); 1,000 still covers a burst of a whole snapshot
 * of small messages, and bounds each agent to RECEIVE_HWM × MAX_FRAME_BYTES.
 */
export const RECEIVE_HWM = 1000;
/**
 * ZMQ_MAXMSGSIZE: libzmq cuts the connection of a peer that announces a larger frame, before it
 * allocates it (without this a single multi-gigabyte frame would be buffered whole). Twice the
 * protocol's frame cap, so a frame slightly over the cap still arrives and is counted `too-large`
 * against its agent; a far larger one ends the connection (the agent reconnects and says hello again;
 * meanwhile its node shows 'telemetry connection lost').
 */
export const MAX_FRAME_BYTES = 2 * LIMITS.frameBytes;
/** Where libzmq looks for the ZAP handler (RFC 27), inside the socket's own context. */
const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';
/** Refusal texts are built here from peer-controlled bytes: keep them short. */
const REASON_CHARS = 200;

/**
 * Events: 'listening' (endpoint), 'fallback' (requested port, endpoint), 'agent' (agentKey,
 * 'joined' | 'gone', reason?), 'refused' (reason, address?), 'error' (Error; emitted only when someone listens).
 */
export class Collector extends EventEmitter {
  private router: Zmq.Router | undefined;
  private boundEndpoint: string | undefined;
  /** The endpoint asked for (the port agents were given), when it differs from boundEndpoint after a fallback. */
  private requestedEndpoint: string | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly agents = new Set<string>();
  private lastRoutingId: Buffer | undefined;
  private lastAgentKey = '';
  private readonly malformedCounts: Record<string, number> = Object.create(null) as Record<string, number>;
  /** Our private ZMQ_DISCONNECT_MSG: only the ROUTER itself ever produces these bytes. */
  private readonly goneToken = Buffer.from(`zmq-topology:agent-gone:${randomBytes(12).toString('hex')}`);
  /** CURVE mode only: the ZAP handler and the ROUTER's monitor (its handshake failures are refusals). */
  private zap: Zmq.Router | undefined;
  private monitor: Zmq.Observer | undefined;
  private refused = 0;
  private lastRefused: CollectorStatus['lastRefused'];
  /** What the ZAP handler just denied: the handshake:error:auth event that follows carries no reason. */
  private zapDenial: { address: string; reason: string } | undefined;

  /** See FrameTap; set or cleared at any time (a recording started or stopped). */
  frameTap: FrameTap | undefined;

  constructor(private readonly store: TopologyStore, private readonly options: CollectorOptions = {}) {
    super();
  }

  get endpoint(): string | undefined {
    return this.boundEndpoint;
  }

  /** What an agent needs in its environment to report here. */
  get agentEnv(): Record<string, string> {
    if (!this.boundEndpoint) return {};
    const serverKey = this.options.curve?.publicKey;
    return { ZMQ_TOPOLOGY_ENDPOINT: this.boundEndpoint, ...(serverKey ? { ZMQ_TOPOLOGY_SERVER_KEY: serverKey } : {}) };
  }

  async start(): Promise<string> {
    if (this.router) throw new Error('collector already started');
    const address = this.options.address ?? '127.0.0.1';
    const port = this.options.port ?? DEFAULT_COLLECTOR_PORT;
    const curve = this.options.curve;
    if (!isLoopbackAddress(address) && !curve) {
      throw new Error(`refusing to bind the collector on ${address} without CURVE: anyone who can reach that address could ` +
        'send it telemetry. Give the collector a CURVE key pair (CLI: --curve-keys FILE; VS Code does it by itself), ' +
        'or bind 127.0.0.1. See docs/REMOTE.md.');
    }
    if (curve && (!isZ85Key(curve.publicKey) || !isZ85Key(curve.secretKey))) throw new Error('the collector\'s CURVE keys must be Z85 text of 40 characters');
    const bad = (this.options.allowedClientKeys ?? []).find((k) => !isZ85Key(k));
    if (bad !== undefined) throw new Error(`allowed client key "${String(bad).slice(0, 50)}" is not a Z85 CURVE public key (40 characters)`);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`collector port ${port} is not a TCP port (0-65535)`);
    const zmq = loadZeromq();
    if (curve && !zmq.capability.curve) throw new Error('this zeromq build has no CURVE support, so the collector cannot bind off loopback');
    // Its own context: the collector's I/O never queues behind the probes' or anyone else's sockets.
    const context = new zmq.Context();
    if (curve) await this.startZap(zmq, context);
    const router = new zmq.Router({
      context, linger: 0, receiveHighWaterMark: RECEIVE_HWM, maxMessageSize: MAX_FRAME_BYTES, ipv6: address.includes(':'),
      ...(curve ? { curveServer: true, curveSecretKey: curve.secretKey, zapDomain: 'zmq-topology' } : {}),
    });
    setStringOption(router, ZMQ_DISCONNECT_MSG, this.goneToken);
    if (curve) {
      this.monitor = router.events;
      void this.watchHandshakes(this.monitor);
    }
    const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
    try {
      await this.bindRetrying(router, `tcp://${host}:${port === 0 ? '*' : port}`, port === 0 ? 0 : this.options.busyPortRetryMs ?? 0);
    } catch (err) {
      if (!isAddressInUse(err)) {
        this.closeGuards();
        router.close();
        throw new Error(`collector could not bind tcp://${host}:${port}: ${(err as Error).message}`, { cause: err });
      }
      if (this.options.fallbackToFreePort === false) {
        this.closeGuards();
        router.close();
        throw new Error(`collector port ${port} on ${address} is already in use (another collector or app?); ` +
          'choose another port, or 0 for any free port', { cause: err });
      }
      try {
        await router.bind(`tcp://${host}:*`);
      } catch (again) {
        this.closeGuards();
        router.close();
        throw new Error(`collector port ${port} is in use and no free port could be bound on ${address}: ${(again as Error).message}`, { cause: again });
      }
      this.emit('fallback', port, router.lastEndpoint);
    }
    this.router = router;
    this.stopping = false;
    this.boundEndpoint = router.lastEndpoint ?? `tcp://${host}:${port}`;
    this.requestedEndpoint = `tcp://${host}:${port}`;
    // Also when the port was free: a note left by an earlier fallback must not send agents elsewhere.
    if (this.options.rendezvous !== false && port !== 0) writeRendezvous(this.requestedEndpoint, this.boundEndpoint);
    this.publishStatus(true);
    this.loop = this.receiveLoop(router);
    this.emit('listening', this.boundEndpoint);
    return this.boundEndpoint;
  }

  /** Binds, trying a taken port again for `retryMs` before giving up with the EADDRINUSE error. */
  private async bindRetrying(router: Zmq.Router, endpoint: string, retryMs: number): Promise<void> {
    const deadline = Date.now() + retryMs;
    for (;;) {
      try {
        await router.bind(endpoint);
        return;
      } catch (err) {
        if (!isAddressInUse(err) || Date.now() + BUSY_PORT_RETRY_INTERVAL_MS > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, BUSY_PORT_RETRY_INTERVAL_MS));
      }
    }
  }

  async stop(): Promise<void> {
    const router = this.router;
    if (!router) return;
    this.stopping = true;
    if (this.requestedEndpoint && this.boundEndpoint) clearRendezvous(this.requestedEndpoint, this.boundEndpoint);
    this.router = undefined;
    this.closeGuards();
    router.close();
    await this.loop;
    // libzmq closes the listener in its I/O thread, after close() returns: wait until the port is
    // really free, so a collector started right after (a restart) can bind it.
    if (this.boundEndpoint) await untilPortFree(this.boundEndpoint);
    this.loop = undefined;
    this.agents.clear();
    this.publishStatus(false);
  }

  private async receiveLoop(router: Zmq.Router): Promise<void> {
    let sliceStart = performance.now();
    for (;;) {
      // While messages are queued, zeromq.js resolves receive() without a trip through the event loop:
      // a backlog would run as one long microtask chain and freeze the extension host (timers, other
      // extensions, the webview) for seconds. Give the loop back after every slice of work.
      if (performance.now() - sliceStart >= RECEIVE_SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
      let frames: Buffer[];
      try {
        frames = await router.receive();
      } catch (err) {
        if (this.stopping || router.closed) return;
        this.fail(new Error(`collector receive failed: ${(err as Error).message}`, { cause: err }));
        return;
      }
      try {
        this.handle(frames, Date.now());
      } catch (err) {
        // A bug in the model must not stop telemetry from everyone else.
        this.fail(new Error(`telemetry from one agent could not be applied: ${(err as Error).message}`, { cause: err }));
      }
    }
  }

  /** The ZAP handler (RFC 27) on the collector's context: CURVE clients only, and only allowed keys when a list is given. */
  private async startZap(zmq: typeof Zmq, context: Zmq.Context): Promise<void> {
    const zap = new zmq.Router({ context, linger: 0 });
    await zap.bind(ZAP_ENDPOINT);
    this.zap = zap;
    const allowed = new Set(this.options.allowedClientKeys ?? []);
    void (async () => {
      for (;;) {
        let frames: Buffer[];
        try {
          frames = await zap.receive();
        } catch {
          return; // closed by stop()
        }
        // [peer, empty, version, request id, domain, address, identity, mechanism, credentials...]
        const [peer, , version, requestId, , address, , mechanism, key] = frames;
        if (!peer || !requestId) continue;
        const text = (b: Buffer | undefined) => printable(b?.toString('latin1') ?? '');
        let reason: string | undefined;
        if (text(version) !== '1.0') reason = `ZAP version ${text(version)}`;
        else if (text(mechanism) !== 'CURVE') reason = `mechanism ${text(mechanism) || '(none)'}: this collector requires CURVE`;
        else if (allowed.size > 0 && (key?.length !== 32 || !allowed.has(z85Encode(key)))) {
          reason = `client key ${key?.length === 32 ? z85Encode(key) : '(malformed)'} is not in the allowed client keys`;
        }
        if (reason) this.zapDenial = { address: text(address), reason };
        try {
          await zap.send([peer, '', '1.0', requestId, reason ? '400' : '200', reason ? 'refused' : 'OK', '', '']);
        } catch {
          return;
        }
      }
    })();
  }

  /** Handshake failures on the CURVE ROUTER are refused agents: wrong server key, no CURVE, or a ZAP denial. */
  private async watchHandshakes(monitor: Zmq.Observer): Promise<void> {
    try {
      while (!monitor.closed) {
        const event = await monitor.receive();
        if (event.type === 'handshake:error:auth') {
          const denial = this.zapDenial;
          this.zapDenial = undefined;
          this.refuse(denial?.reason ?? `authentication failed: ${event.error.message}`, denial?.address);
        } else if (event.type === 'handshake:error:protocol') {
          const why = event.error.code === 'ERR_ZMTP_MECHANISM_MISMATCH' ? 'not a CURVE client (no or invalid ZMQ_TOPOLOGY_SERVER_KEY?)'
            : event.error.code === 'ERR_ZMTP_CRYPTOGRAPHIC' ? 'CURVE handshake failed (wrong ZMQ_TOPOLOGY_SERVER_KEY?)'
              : `handshake failed: ${event.error.code}`;
          this.refuse(why);
        } else if (event.type === 'handshake:error:other') {
          // The client saw the mismatch first and hung up (EPIPE/ECONNRESET here): same cause, other side.
          this.refuse(`client hung up during the CURVE handshake (${event.error.message}): not a CURVE client, or a wrong ZMQ_TOPOLOGY_SERVER_KEY?`);
        }
      }
    } catch {
      // The monitor closed with the ROUTER (stop).
    }
  }

  private refuse(reason: string, address?: string): void {
    this.refused++;
    this.lastRefused = { at: Date.now(), ...(address ? { address } : {}), reason: reason.slice(0, REASON_CHARS) };
    this.publishStatus(this.router !== undefined);
    this.emit('refused', this.lastRefused.reason, address);
  }

  private closeGuards(): void {
    this.monitor?.close();
    this.zap?.close();
    this.monitor = undefined;
    this.zap = undefined;
  }

  /** One ROUTER message. Never throws: a bad frame is counted, the loop goes on. */
  private handle(frames: Buffer[], receivedAt: number): void {
    const agentKey = this.keyOf(frames[0]);
    if (frames.length !== FRAMES_PER_MESSAGE) {
      this.countMalformed(agentKey, 'frame-count', `${frames.length - 1} frames, expected 1`);
      return;
    }
    const frame = frames[1];
    if (frame.length === this.goneToken.length && frame.equals(this.goneToken)) {
      this.agentGone(agentKey, 'telemetry connection lost');
      return;
    }
    if (!this.agents.has(agentKey)) {
      this.agents.add(agentKey);
      this.publishStatus(true);
      this.emit('agent', agentKey, 'joined');
    }
    const result = decode(frame);
    if (!result.ok) {
      this.countMalformed(agentKey, result.reason, result.detail);
      return;
    }
    this.frameTap?.(agentKey, frame, result.msg, receivedAt);
    this.store.apply(agentKey, result.msg, receivedAt);
    if (result.msg.t === 'bye') this.agentLeft(agentKey, `bye: ${result.msg.reason}`);
  }

  /** The routing id as hex; agents send in bursts, so the previous one is reused without a new string. */
  private keyOf(routingId: Buffer): string {
    if (this.lastRoutingId === undefined || !routingId.equals(this.lastRoutingId)) {
      this.lastRoutingId = Buffer.from(routingId);
      this.lastAgentKey = routingId.toString('hex');
    }
    return this.lastAgentKey;
  }

  private agentGone(agentKey: string, reason: string): void {
    this.store.agentGone(agentKey, reason, Date.now());
    this.agentLeft(agentKey, reason);
  }

  private agentLeft(agentKey: string, reason: string): void {
    if (!this.agents.delete(agentKey)) return;
    this.publishStatus(true);
    this.emit('agent', agentKey, 'gone', reason);
  }

  private countMalformed(agentKey: string, reason: string, detail: string): void {
    this.malformedCounts[reason] = (this.malformedCounts[reason] ?? 0) + 1;
    this.store.malformed(agentKey, reason, detail);
    this.publishStatus(true);
  }

  private publishStatus(listening: boolean): void {
    this.store.setCollectorStatus({
      endpoint: this.boundEndpoint ?? '',
      listening,
      malformed: this.malformedCounts,
      agents: this.agents.size,
      ...(this.options.curve ? { curve: true, refused: this.refused } : {}),
      ...(this.lastRefused ? { lastRefused: this.lastRefused } : {}),
    });
  }

  private fail(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

/** Peer-supplied ZAP fields as text: control and non-ASCII bytes as \xNN, capped. */
function printable(text: string): string {
  return text.slice(0, REASON_CHARS).replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return a === 'localhost' || a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

const PORT_FREE_TIMEOUT_MS = 2000;

/** Resolves once nothing listens on the endpoint's host and port any more (or after a timeout). */
async function untilPortFree(endpoint: string): Promise<void> {
  const m = /^tcp:\/\/\[?([^\]]*)\]?:(\d+)$/.exec(endpoint);
  if (!m) return;
  const [host, port] = [m[1], Number(m[2])];
  const deadline = Date.now() + PORT_FREE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
    });
    if (free) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

function isAddressInUse(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EADDRINUSE';
}
