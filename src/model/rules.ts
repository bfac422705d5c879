/**
 * The pure rules of the model: edge state from its facts and the clock, how disconnect causes
 * combine, retry storms, message rates. No timers, no I/O.
 */
import type { EdgeState, LastDisconnect } from '../shared/snapshot';

/** What the telemetry told us about a connection's lifecycle (the clock-driven states come on top). */
export type EdgePhase = 'connecting' | 'up' | 'retrying' | 'disconnected';

export interface Thresholds {
  warnAfterMs: number;
  deadAfterMs: number;
}

export const REASONS = {
  processExited: 'peer process exited',
  socketClosed: 'socket closed',
  heartbeatTimeout: 'heartbeat timeout',
  disconnectMsg: 'ZMQ_DISCONNECT_MSG from peer',
  endpointRemoved: 'endpoint disconnected by the app',
  disconnectEvent: 'disconnect event',
  streamClosed: 'connection closed (STREAM notice)',
} as const;

/** Higher = closer to the root cause; when two causes are seen for one disconnect, the higher one is kept. */
const REASON_RANK: Record<string, number> = {
  [REASONS.processExited]: 5,
  [REASONS.socketClosed]: 4,
  [REASONS.heartbeatTimeout]: 3,
  [REASONS.disconnectMsg]: 2,
  [REASONS.endpointRemoved]: 2,
  [REASONS.streamClosed]: 2,
  [REASONS.disconnectEvent]: 1,
};

/**
 * The age the liveness states are judged by: heartbeat age, else traffic age, else none. With
 * libzmq's own heartbeats on the connection (`zmtpHeartbeats`: ZMQ_HEARTBEAT_IVL on either end) and
 * no app heartbeat ever seen, silence is no sign: libzmq drops a dead peer itself, and an idle
 * connection it keeps alive was shown dead after 6 s of quiet.
 */
export function livenessAge(now: number, lastHeartbeat: number | undefined, lastMessage: number | undefined, zmtpHeartbeats = false): number | null {
  const ref = lastHeartbeat ?? (zmtpHeartbeats ? undefined : lastMessage);
  return ref === undefined ? null : Math.max(0, now - ref);
}

/**
 * An app heartbeat is a promise to speak, so its silence past the thresholds is `late`, then `dead`.
 * Traffic promises nothing: a REQ between requests, a PUB between updates, a worker after the last
 * task of a batch are all silent and well, so past the warn threshold such an edge is only `quiet`.
 */
export function edgeState(phase: EdgePhase, exited: boolean, age: number | null, byHeartbeat: boolean, t: Thresholds): EdgeState {
  if (exited || phase === 'disconnected') return 'disconnected';
  if (phase === 'retrying') return 'retrying';
  if (phase === 'connecting') return 'connecting';
  if (age === null || age <= t.warnAfterMs) return 'connected';
  if (!byHeartbeat) return 'quiet';
  return age > t.deadAfterMs ? 'dead' : 'late';
}

/**
 * One more cause for a disconnect. While the edge has not reconnected since `previous`, the causes
 * describe the same loss: keep the first time, the app's message from whichever cause carried it,
 * and the reason closest to the root cause. Otherwise it is a new loss.
 */
export function combineDisconnect(previous: LastDisconnect | null, sameLoss: boolean, next: LastDisconnect): LastDisconnect {
  if (!previous || !sameLoss) return next;
  const rank = (r: string) => REASON_RANK[r] ?? 0;
  return {
    at: Math.min(previous.at, next.at),
    message: previous.message ?? next.message,
    reason: rank(next.reason) > rank(previous.reason) ? next.reason : previous.reason,
  };
}

/** Remembers the last `count` retry times; a storm is `count` of them inside `windowMs`. */
export class RetryWindow {
  private readonly times: number[] = [];
  constructor(private readonly count: number, private readonly windowMs: number) {}

  add(at: number): void {
    this.times.push(at);
    if (this.times.length > this.count) this.times.shift();
  }

  storm(now: number): boolean {
    return this.count > 0 && this.times.length >= this.count && now - this.times[0] <= this.windowMs;
  }

  /** A copy that goes on independently (TopologyStore.clone). */
  clone(): RetryWindow {
    const copy = new RetryWindow(this.count, this.windowMs);
    copy.times.push(...this.times);
    return copy;
  }

  absorb(other: RetryWindow): void {
    const all = [...other.times, ...this.times].sort((a, b) => a - b);
    this.times.length = 0;
    for (const t of all) this.add(t);
  }
}

const BUCKET_MS = 250;
const BUCKETS = 8;
/** Rates are averaged over this window. */
export const RATE_WINDOW_MS = BUCKET_MS * BUCKETS;
/** A ring's layout in its slot: [newest bucket (0: none yet), out counts × BUCKETS, in counts × BUCKETS]. */
const OUT = 1;
const IN = 1 + BUCKETS;
const SLOT = 1 + 2 * BUCKETS;
const COUNT_MAX = 0x7fffffff;
/** Buckets are numbered from an epoch this many buckets (~8.5 years) before the first one seen, so a number fits in 31 bits and 0 is free for "none". */
const EPOCH_LEAD = 2 ** 30;

/**
 * Message counts in fixed time buckets, msg/s over the last RATE_WINDOW_MS: one ring per edge, every
 * ring in one Int32Array, a slot of 17 numbers each, handed out and taken back by the store. A plain
 * array per edge cost 184 bytes; a slot costs 68 (docs/PERFORMANCE.md "Memory per edge"). No
 * allocation per message. In a ring, `b % BUCKETS` holds bucket b for b in (newest − BUCKETS, newest].
 */
export class RateRings {
  private ring = new Int32Array(0);
  private readonly free: number[] = [];
  private used = 0;
  private epoch = NaN;

  /** A new, empty ring's slot. */
  allocate(): number {
    const slot = this.free.pop() ?? this.used++;
    if ((slot + 1) * SLOT > this.ring.length) {
      const grown = new Int32Array(Math.max(64, 2 * (this.ring.length / SLOT)) * SLOT);
      grown.set(this.ring);
      this.ring = grown;
    }
    this.ring.fill(0, slot * SLOT, (slot + 1) * SLOT);
    return slot;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  add(slot: number, at: number, out: number, inbound: number): void {
    if (Number.isNaN(this.epoch)) this.epoch = Math.floor(at / BUCKET_MS) - EPOCH_LEAD;
    const bucket = this.bucketOf(at);
    if (bucket < 1) return; // years before the first: it no longer counts
    const ring = this.ring;
    const base = slot * SLOT;
    let newest = ring[base];
    if (bucket > newest) {
      // Clear the slots of the buckets skipped over (at most all of them).
      for (let b = Math.max(newest + 1, bucket - BUCKETS + 1); b <= bucket; b++) {
        ring[base + OUT + (b % BUCKETS)] = 0;
        ring[base + IN + (b % BUCKETS)] = 0;
      }
      ring[base] = newest = bucket;
    } else if (bucket <= newest - BUCKETS) {
      return; // older than the window: it no longer counts
    }
    ring[base + OUT + (bucket % BUCKETS)] = Math.min(ring[base + OUT + (bucket % BUCKETS)] + out, COUNT_MAX);
    ring[base + IN + (bucket % BUCKETS)] = Math.min(ring[base + IN + (bucket % BUCKETS)] + inbound, COUNT_MAX);
  }

  /** [out, in] in messages per second, rounded to 0.1. */
  rateOf(slot: number | undefined, now: number): [number, number] {
    if (slot === undefined || this.ring[slot * SLOT] === 0) return [0, 0];
    const ring = this.ring;
    const base = slot * SLOT;
    const current = this.bucketOf(now);
    const newest = ring[base];
    let out = 0;
    let inbound = 0;
    // Buckets in (current − BUCKETS, current] that the ring still holds.
    for (let b = Math.max(newest - BUCKETS + 1, current - BUCKETS + 1, 1); b <= Math.min(newest, current); b++) {
      out += ring[base + OUT + (b % BUCKETS)];
      inbound += ring[base + IN + (b % BUCKETS)];
    }
    const perSecond = (n: number) => Math.round((n * 10000) / RATE_WINDOW_MS) / 10;
    return [perSecond(out), perSecond(inbound)];
  }

  /** Adds the buckets of ring `from` into ring `into`. */
  absorb(into: number, from: number): void {
    const ring = this.ring;
    const base = from * SLOT;
    const newest = ring[base];
    for (let b = Math.max(newest - BUCKETS + 1, 1); b <= newest; b++) {
      const out = ring[base + OUT + (b % BUCKETS)];
      const inbound = ring[base + IN + (b % BUCKETS)];
      if (out !== 0 || inbound !== 0) this.add(into, (b + this.epoch) * BUCKET_MS, out, inbound);
    }
  }

  /** An independent copy: the same slots hold the same rings. */
  copy(): RateRings {
    const copy = new RateRings();
    copy.ring = this.ring.slice();
    copy.free.push(...this.free);
    copy.used = this.used;
    copy.epoch = this.epoch;
    return copy;
  }

  private bucketOf(at: number): number {
    return Math.min(Math.floor(at / BUCKET_MS) - this.epoch, COUNT_MAX);
  }
}
