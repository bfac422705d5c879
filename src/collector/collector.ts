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
import type { TopologyStore } from '../model/store';
import { loadZeromq, setStringOption, ZMQ_DISCONNECT_MSG } from './zmq';

export interface CollectorOptions {
  /** Default 127.0.0.1. Only loopback for now: a non-loopback collector requires CURVE. */
  address?: string;
  /** Default 5599; 0 = any free port. */
  port?: number;
  /** When the port is taken, bind a free one instead (and emit 'fallback'). Default true. */
  fallbackToFreePort?: boolean;
}

export const DEFAULT_COLLECTOR_PORT = 5599;

/** Frames a ROUTER message must have: the agent's routing id and one telemetry frame. */
const FRAMES_PER_MESSAGE = 2;
/**
 * Per-agent inbound queue (libzmq applies the high-water mark per peer pipe): a burst waits here
 * rather than being dropped at the agent, yet one agent cannot queue without bound.
 */
const RECEIVE_HWM = 10_000;

/**
 * Events: 'listening' (endpoint), 'fallback' (requested port, endpoint), 'agent' (agentKey,
 * 'joined' | 'gone', reason?), 'error' (Error; emitted only when someone listens).
 */
export class Collector extends EventEmitter {
  private router: Zmq.Router | undefined;
  private boundEndpoint: string | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly agents = new Set<string>();
  private lastRoutingId: Buffer | undefined;
  private lastAgentKey = '';
  private readonly malformedCounts: Record<string, number> = Object.create(null) as Record<string, number>;
  /** Our private ZMQ_DISCONNECT_MSG: only the ROUTER itself ever produces these bytes. */
  private readonly goneToken = Buffer.from(`zmq-topology:agent-gone:${randomBytes(12).toString('hex')}`);

  constructor(private readonly store: TopologyStore, private readonly options: CollectorOptions = {}) {
    super();
  }

  get endpoint(): string | undefined {
    return this.boundEndpoint;
  }

  /** What an agent needs in its environment to report here. */
  get agentEnv(): Record<string, string> {
    return this.boundEndpoint ? { ZMQ_TOPOLOGY_ENDPOINT: this.boundEndpoint } : {};
  }

  async start(): Promise<string> {
    if (this.router) throw new Error('collector already started');
    const address = this.options.address ?? '127.0.0.1';
    const port = this.options.port ?? DEFAULT_COLLECTOR_PORT;
    if (!isLoopbackAddress(address)) {
      throw new Error(`refusing to bind the collector on ${address}: a collector reachable from other hosts requires CURVE, ` +
        'which is not supported yet. Use 127.0.0.1.');
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`collector port ${port} is not a TCP port (0-65535)`);
    const zmq = loadZeromq();
    // Its own context: the collector's I/O never queues behind the probes' or anyone else's sockets.
    const router = new zmq.Router({ context: new zmq.Context(), linger: 0, receiveHighWaterMark: RECEIVE_HWM, ipv6: address.includes(':') });
    setStringOption(router, ZMQ_DISCONNECT_MSG, this.goneToken);
    const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
    try {
      await router.bind(`tcp://${host}:${port === 0 ? '*' : port}`);
    } catch (err) {
      if (!isAddressInUse(err)) {
        router.close();
        throw new Error(`collector could not bind tcp://${host}:${port}: ${(err as Error).message}`, { cause: err });
      }
      if (this.options.fallbackToFreePort === false) {
        router.close();
        throw new Error(`collector port ${port} on ${address} is already in use (another collector or app?); ` +
          'choose another port, or 0 for any free port', { cause: err });
      }
      try {
        await router.bind(`tcp://${host}:*`);
      } catch (again) {
        router.close();
        throw new Error(`collector port ${port} is in use and no free port could be bound on ${address}: ${(again as Error).message}`, { cause: again });
      }
      this.emit('fallback', port, router.lastEndpoint);
    }
    this.router = router;
    this.stopping = false;
    this.boundEndpoint = router.lastEndpoint ?? `tcp://${host}:${port}`;
    this.publishStatus(true);
    this.loop = this.receiveLoop(router);
    this.emit('listening', this.boundEndpoint);
    return this.boundEndpoint;
  }

  async stop(): Promise<void> {
    const router = this.router;
    if (!router) return;
    this.stopping = true;
    this.router = undefined;
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
    for (;;) {
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
    });
  }

  private fail(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

function isLoopbackAddress(address: string): boolean {
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
