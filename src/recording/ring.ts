/**
 * The live graph's memory (docs/RECORDING.md "The live ring"): the live store's inputs of the last
 * `windowMs`, held in memory as .zmqrec records (the collector's frames copied as they are, as the
 * recorder does), one block a second, with a copy of the live store (TopologyStore.clone) every
 * `checkpointEveryMs`. The picture at an instant of the window is the nearest copy at or before it fed
 * the inputs between, with the live sweep's sweeps replayed (SweepClock), as a recording's replay is.
 *
 * Inputs older than the window are kept compressed, within `preludeMaxBytes`, only so that a saved
 * ring (saveTo) holds what built the picture before its window: the processes' hello and sockets.
 * Past that cap the oldest go (`preludeDropped` says how many blocks). Memory is bounded by bytes, not
 * only by time, because a busy system's inputs and store copies grow with it: the window's raw blocks
 * stay within `maxWindowBytes` (past it the window starts later: the ring shows less time, never more
 * memory), the store copies within `maxCopyBytes` (estimated from the store's size; past it copies are
 * thinned, so a seek replays more inputs), and the prelude within its cap.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import type { TopologyStore } from '../model/store';
import type { TelemetryMsg } from '../protocol/types';
import type { CollectorStatus, KernelPeer, TopologySnapshot } from '../shared/snapshot';
import type { TimelineMarker } from '../shared/timeline';
import { encodeBlock, encodeFileHeader, RecordWriter, type Entry, type RecordingHeader } from './format';
import { decodeEntries } from './reader';
import { applyEntry, SweepClock } from './replay';
import type { InputSink } from './tap';
import { MarkerCollector } from './timeline';

const RING_BLOCK_MS = 1000;
const RING_PRELUDE_MAX_BYTES = 32 * 1024 * 1024;
const RING_WINDOW_MAX_BYTES = 64 * 1024 * 1024;
const RING_COPIES_MAX_BYTES = 128 * 1024 * 1024;
/**
 * Heap of one store copy per record, rounded up from docs/PERFORMANCE.md's measurements (≈ 2.3 KB
 * per edge including its connecting socket at 8,000 edges; nodes carry their runtime and agent).
 */
const COPY_BYTES = { edge: 2500, socket: 600, node: 1000 };
/** Never fewer copies than this: the oldest and one to seek from nearer now. */
const MIN_COPIES = 2;
/** Decoded blocks kept for seeks that come back to them (scrubbing, play). */
const DECODED_BLOCKS_KEPT = 64;
/** The live snapshot is looked at for new markers at most this often. */
const MARKER_LOOK_MS = 1000;

export interface RingOptions {
  windowMs: number;
  /** The live store's thresholds (a saved ring's header, and the markers' retry-storm rule). */
  storeOptions: RecordingHeader['store'] & { retryStorm: { count: number; windowMs: number } };
  /** The collector's clock (default Date.now). */
  now?: () => number;
  /** Store copies this far apart (default: a twentieth of the window, at least 10 s). */
  checkpointEveryMs?: number;
  preludeMaxBytes?: number;
  /** The window's raw inputs at most this many bytes (default 64 MiB). */
  maxWindowBytes?: number;
  /** The store copies at most this many bytes, estimated (default 128 MiB). */
  maxCopyBytes?: number;
  /** Cut blocks on a timer (default true; tests call cut()). */
  timer?: boolean;
}

interface Block {
  seq: number;
  raw: Buffer;
  count: number;
  firstAt: number;
  lastAt: number;
  /** Prelude blocks, once compressed: the block as a file holds it (raw is then let go). */
  encoded?: Buffer;
}

interface Checkpoint {
  at: number;
  /** The first block after it. */
  seq: number;
  store: TopologyStore;
  sweeps: SweepClock;
}

export interface RingStats {
  windowBytes: number;
  preludeBytes: number;
  checkpoints: number;
  preludeDropped: number;
  /** Estimated heap of the store copies. */
  copyBytes: number;
}

export class InputRing implements InputSink {
  private readonly writer = new RecordWriter(64 * 1024);
  private readonly window: Block[] = [];
  private readonly prelude: Block[] = [];
  private readonly checkpoints: Checkpoint[] = [];
  private readonly decoded = new Map<number, Entry[]>();
  private readonly markerCollector: MarkerCollector;
  private readonly now: () => number;
  private readonly every: number;
  private readonly timer: NodeJS.Timeout | undefined;
  private nextSeq = 0;
  private preludeBytes = 0;
  private dropped = 0;
  private lastLook = -Infinity;
  /** The clock of the store copies while a seek runs. */
  private clock = 0;
  private framed: TelemetryMsg | undefined;

  constructor(private readonly live: TopologyStore, private readonly options: RingOptions) {
    this.now = options.now ?? (() => Date.now());
    this.every = options.checkpointEveryMs ?? Math.max(10_000, Math.round(options.windowMs / 20));
    this.markerCollector = new MarkerCollector(options.storeOptions.retryStorm);
    this.checkpoint(this.now());
    if (options.timer ?? true) {
      this.timer = setInterval(() => this.cut(), RING_BLOCK_MS);
      this.timer.unref();
    }
  }

  // ─── inputs (the store tap and the collector's frame tap) ──────────────────────────────────────────

  telemetryFrame(agentKey: string, frame: Uint8Array, msg: TelemetryMsg, receivedAt: number): void {
    this.writer.telemetryBytes(receivedAt, agentKey, frame);
    this.framed = msg;
  }

  telemetry(agentKey: string, msg: TelemetryMsg, receivedAt: number): void {
    if (msg === this.framed) {
      this.framed = undefined;
      return;
    }
    this.writer.telemetry(receivedAt, agentKey, JSON.stringify(msg));
  }

  agentGone(agentKey: string, reason: string, at: number): void {
    this.writer.agentGone(at, agentKey, reason);
  }

  malformed(agentKey: string | undefined, reason: string, detail: string): void {
    this.writer.malformed(this.now(), agentKey, reason, detail);
  }

  collectorStatus(status: CollectorStatus): void {
    this.writer.collectorStatus(this.now(), JSON.stringify(status));
  }

  clearExited(): void {
    this.writer.clearExited(this.now());
  }

  kernelPeers(found: ReadonlyMap<string, KernelPeer[]>): void {
    this.writer.kernelPeers(this.now(), JSON.stringify([...found]));
  }

  // ─── the window ──────────────────────────────────────────────────────────────────────────────────

  /** The first instant the ring can show (its oldest store copy) and the last (now). */
  get startAt(): number {
    return this.checkpoints[0]!.at;
  }

  get endAt(): number {
    return Math.max(this.startAt, this.now());
  }

  get stats(): RingStats {
    let windowBytes = 0;
    for (const b of this.window) windowBytes += b.raw.length;
    return {
      windowBytes: windowBytes + this.writer.bytes, preludeBytes: this.preludeBytes, checkpoints: this.checkpoints.length, preludeDropped: this.dropped,
      copyBytes: this.checkpoints.length * copyBytes(this.live),
    };
  }

  /** Cuts the pending inputs into a block; copies the live store when one is due; lets go of what left the window. */
  cut(): void {
    const now = this.now();
    this.takeBlock();
    if (now - this.checkpoints[this.checkpoints.length - 1]!.at >= this.every) this.checkpoint(now);
    this.evict(now);
  }

  /** The picture at `t` (clamped to the window): the nearest copy, the inputs after it up to t, the sweeps. */
  snapshotAt(t: number): TopologySnapshot {
    this.takeBlock();
    t = Math.min(Math.max(t, this.startAt), this.endAt);
    let cp = this.checkpoints[0]!;
    for (const c of this.checkpoints) if (c.at <= t) cp = c;
    const store = cp.store.clone();
    const sweeps = cp.sweeps.copy();
    const setClock = (at: number) => (this.clock = at);
    let latest = cp.at;
    for (const block of this.window) {
      if (block.seq < cp.seq) continue;
      if (block.firstAt > t && block.firstAt > latest) break;
      for (const e of this.entries(block)) {
        if (e.at > latest) latest = e.at;
        if (latest > t) break;
        sweeps.runUntil(store, latest, false, setClock);
        this.clock = latest;
        applyEntry(store, e);
      }
      if (latest > t) break;
    }
    sweeps.runUntil(store, t, true, setClock);
    this.clock = t;
    return store.snapshot();
  }

  /** Markers of the window (sorted), the live store looked at for new ones at most once a second. */
  markers(): TimelineMarker[] {
    const now = this.now();
    if (now - this.lastLook >= MARKER_LOOK_MS) {
      this.lastLook = now;
      this.markerCollector.observe(this.live.snapshot());
    }
    const start = this.startAt;
    return this.markerCollector.list().filter((m) => m.at >= start);
  }

  /**
   * Writes the ring as a .zmqrec file: the prelude (inputs from before the window, stamped with their
   * own times; replay applies them at instant 0), the window, an End record. Instant 0 is the window's start.
   */
  async saveTo(file: string, producer: string): Promise<{ bytes: number; startAt: number; endAt: number; preludeDropped: number }> {
    this.takeBlock();
    const startAt = this.startAt;
    const endAt = this.endAt;
    const header: RecordingHeader = {
      format: 'zmq-topology recording', startedAt: startAt, producer, store: this.options.storeOptions, flushMs: RING_BLOCK_MS, maxBytes: 0,
    };
    const parts: Buffer[] = [encodeFileHeader(header)];
    for (const b of [...this.prelude, ...this.window]) parts.push(b.encoded ?? await encode(b));
    const end = new RecordWriter(256);
    end.end(endAt, 'saved from the live ring');
    const tail = end.take();
    parts.push(encodeBlock(tail.raw, tail.count, tail.firstAt, tail.lastAt, undefined));
    const bytes = Buffer.concat(parts);
    await fs.promises.writeFile(file, bytes, { mode: 0o644 });
    return { bytes: bytes.length, startAt, endAt, preludeDropped: this.dropped };
  }

  /** Everything the ring holds, as a file's blocks (the window's uncompressed): a new recording's preamble. */
  blocks(): Buffer[] {
    this.takeBlock();
    return [...this.prelude, ...this.window].map((b) => b.encoded ?? encodeBlock(b.raw, b.count, b.firstAt, b.lastAt, undefined));
  }

  dispose(): void {
    clearInterval(this.timer);
    this.decoded.clear();
    this.checkpoints.length = 1;
  }

  private takeBlock(): void {
    if (this.writer.count === 0) return;
    const { raw, count, firstAt, lastAt } = this.writer.take();
    this.window.push({ seq: this.nextSeq++, raw, count, firstAt, lastAt });
  }

  private checkpoint(at: number): void {
    this.takeBlock();
    this.thinCopies();
    this.checkpoints.push({ at, seq: this.nextSeq, store: this.live.clone({ now: () => this.clock }), sweeps: new SweepClock(at) });
    this.lastLook = at;
    this.markerCollector.observe(this.live.snapshot());
  }

  /**
   * Before a new copy: while the copies (with the new one) would pass maxCopyBytes, drop the copy
   * nearest its older neighbour (never the oldest: it starts the window), so those left stay spread.
   */
  private thinCopies(): void {
    const allowed = Math.max(MIN_COPIES, Math.floor((this.options.maxCopyBytes ?? RING_COPIES_MAX_BYTES) / copyBytes(this.live)));
    while (this.checkpoints.length >= allowed && this.checkpoints.length >= 2) {
      let drop = 1;
      for (let i = 2; i < this.checkpoints.length; i++) {
        if (this.checkpoints[i]!.at - this.checkpoints[i - 1]!.at < this.checkpoints[drop]!.at - this.checkpoints[drop - 1]!.at) drop = i;
      }
      this.checkpoints.splice(drop, 1);
    }
  }

  private evict(now: number): void {
    const windowStart = now - this.options.windowMs;
    while (this.checkpoints.length >= 2 && this.checkpoints[1]!.at <= windowStart) this.checkpoints.shift();
    // Over the byte cap the window starts at a later copy (a fresh one if the oldest is the only one).
    const maxBytes = this.options.maxWindowBytes ?? RING_WINDOW_MAX_BYTES;
    const bytesFrom = (seq: number): number => {
      let bytes = 0;
      for (const b of this.window) if (b.seq >= seq) bytes += b.raw.length;
      return bytes;
    };
    while (bytesFrom(this.checkpoints[0]!.seq) > maxBytes) {
      if (this.checkpoints.length < 2) this.checkpoint(now);
      this.checkpoints.shift();
    }
    const first = this.checkpoints[0]!.seq;
    while (this.window.length > 0 && this.window[0]!.seq < first) {
      const block = this.window.shift()!;
      this.decoded.delete(block.seq);
      this.toPrelude(block);
    }
  }

  private toPrelude(block: Block): void {
    this.prelude.push(block);
    this.preludeBytes += block.raw.length;
    void encode(block).then((encoded) => {
      if (!this.prelude.includes(block)) return;
      // Only the block as a file holds it is needed from now on (a save writes it as it is).
      this.preludeBytes += encoded.length - block.raw.length;
      block.encoded = encoded;
      block.raw = EMPTY;
    });
    const max = this.options.preludeMaxBytes ?? RING_PRELUDE_MAX_BYTES;
    while (this.preludeBytes > max && this.prelude.length > 0) {
      const gone = this.prelude.shift()!;
      this.preludeBytes -= gone.encoded?.length ?? gone.raw.length;
      this.dropped++;
    }
  }

  private entries(block: Block): Entry[] {
    let list = this.decoded.get(block.seq);
    if (!list) {
      list = decodeEntries(block.raw);
      if (this.decoded.size >= DECODED_BLOCKS_KEPT) this.decoded.delete(this.decoded.keys().next().value as number);
      this.decoded.set(block.seq, list);
    }
    return list;
  }
}

const EMPTY = Buffer.alloc(0);

/** A store copy's estimated heap, from how many records it holds. */
function copyBytes(store: TopologyStore): number {
  const { nodes, sockets, edges } = store.size;
  return Math.max(1, nodes * COPY_BYTES.node + sockets * COPY_BYTES.socket + edges * COPY_BYTES.edge);
}

/** The block as a file holds it, deflated in libuv's pool when that makes it smaller. */
function encode(b: Block): Promise<Buffer> {
  const raw = b.raw; // taken now: once a prelude block is encoded, its raw bytes are let go
  return new Promise((resolve) => zlib.deflateRaw(raw, { level: 1 }, (err, out) => {
    resolve(encodeBlock(raw, b.count, b.firstAt, b.lastAt, !err && out.length < raw.length ? out : undefined));
  }));
}
