/**
 * Writes a .zmqrec file (docs/RECORDING.md): every input that changes the model, appended in blocks.
 * A block is cut at least every `flushMs`, when 1 MiB of records is pending, and on stop; it is
 * compressed and written off the JS thread (zlib and fs in libuv's pool), in order, so a killed
 * process leaves a file readable up to the last block written. Past the size cap the recording stops
 * (with an End record saying so) and `onStopped` is told; the live model goes on.
 *
 * Cost on the collector's receive path (docs/RECORDING.md "Cost"): telemetry from the collector
 * arrives with the frame it was decoded from (telemetryFrame), whose bytes are copied as they are; only
 * other inputs (probes, agent gone, status) are serialised with JSON.stringify. When blocks pile up
 * faster than they compress, they are written uncompressed; past MAX_PENDING_BYTES the recording stops
 * rather than hold memory without bound.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import type { TelemetryMsg } from '../protocol/types';
import type { CollectorStatus, KernelPeer } from '../shared/snapshot';
import { encodeBlock, encodeFileHeader, RecordWriter, type RecordingHeader } from './format';

export const DEFAULT_FLUSH_MS = 1000;
export const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;
/** Pending records past this are cut into a block at once (bounds memory and block size). */
const FLUSH_BYTES = 1024 * 1024;
/** Blocks waiting for zlib past this are written uncompressed. */
const COMPRESS_BACKLOG_BYTES = 4 * 1024 * 1024;
/**
 * Compression may take at most this share of one core (measured): beyond it blocks are written
 * uncompressed, so a telemetry flood makes a bigger file rather than a slower collector. At the
 * demo's rate compression costs far less (every block is compressed).
 */
const COMPRESS_CPU_SHARE = 0.05;
/** The compression allowance saved up while idle is capped at this (ms). */
const COMPRESS_ALLOWANCE_CAP_MS = 100;
/** Blocks waiting to be written past this: the disk cannot keep up, the recording stops. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;
/** Room kept under the cap for the End record that says the cap was hit. */
const END_RESERVE = 512;

export interface RecorderOptions {
  path: string;
  /** What writes the file, e.g. "zmq-topology cli 0.1.0". */
  producer: string;
  /** The live store's thresholds (see RecordingHeader.store). */
  store?: RecordingHeader['store'];
  flushMs?: number;
  /** Size cap in bytes (default 1 GiB). */
  maxBytes?: number;
  /** Deflate each block (default true). */
  compress?: boolean;
  /**
   * Share of one core compression may take (default COMPRESS_CPU_SHARE); Infinity compresses every
   * block (a recording written faster than real time, e.g. a synthetic one).
   */
  compressShare?: number;
  /** The collector's clock, for inputs that carry no time of their own. */
  now?: () => number;
  /** The recording stopped by itself: size cap reached, the file could not be written, or the disk could not keep up. */
  onStopped?: (reason: string, error?: Error) => void;
  /**
   * Blocks (as a file holds them) written right after the header: the live ring's inputs, so a
   * recording started while processes run holds what built their picture (stamped before startedAt).
   */
  preamble?: readonly Buffer[];
}

export class Recorder {
  private fd: number | undefined;
  /** False once stop() was called or the recording stopped by itself: inputs are no longer taken. */
  private open = true;
  /** One chunk holds a whole block (flushed at FLUSH_BYTES), so it is reused from block to block. */
  private readonly writer = new RecordWriter(FLUSH_BYTES + 64 * 1024);
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly maxBytes: number;
  private lastAt = -Infinity;
  private written = 0;
  private recordCount = 0;
  private pendingBytes = 0;
  /** Milliseconds of compression still allowed (see COMPRESS_CPU_SHARE). */
  private allowanceMs = COMPRESS_ALLOWANCE_CAP_MS;
  private allowanceAt = performance.now();
  private blocksRaw = 0;
  private blocksDeflated = 0;
  private chain: Promise<void> = Promise.resolve();
  private stopReason: string | undefined;
  /** The message whose frame telemetryFrame() just recorded: the store tap's call for it is skipped. */
  private framed: TelemetryMsg | undefined;

  /** Creates (or truncates) the file and writes its header. Throws a clear error when it cannot. */
  constructor(private readonly options: RecorderOptions) {
    this.now = options.now ?? (() => Date.now());
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const header: RecordingHeader = {
      format: 'zmq-topology recording', startedAt: this.now(), producer: options.producer, store: options.store ?? {},
      flushMs: options.flushMs ?? DEFAULT_FLUSH_MS, maxBytes: this.maxBytes,
    };
    const bytes = encodeFileHeader(header);
    if (bytes.length + END_RESERVE > this.maxBytes) throw new Error(`the recording size cap (${this.maxBytes} bytes) is too small`);
    try {
      this.fd = fs.openSync(options.path, 'w', 0o644);
      fs.writeSync(this.fd, bytes);
      for (const block of options.preamble ?? []) {
        fs.writeSync(this.fd, block);
        this.written += block.length;
      }
    } catch (err) {
      if (this.fd !== undefined) fs.closeSync(this.fd);
      throw new Error(`cannot write the recording ${options.path}: ${(err as Error).message}`, { cause: err });
    }
    this.written += bytes.length;
    this.lastAt = header.startedAt;
    this.timer = setInterval(() => this.flush(), header.flushMs);
    this.timer.unref();
  }

  get path(): string {
    return this.options.path;
  }

  /** False once stopped (by stop(), the size cap or a write error). */
  get active(): boolean {
    return this.open;
  }

  /** Why it stopped, once it has. */
  get stoppedReason(): string | undefined {
    return this.stopReason;
  }

  /** Bytes on disk so far. */
  get bytesWritten(): number {
    return this.written;
  }

  /** Blocks written compressed and uncompressed (a flood goes uncompressed, see COMPRESS_CPU_SHARE). */
  get blocks(): { deflated: number; raw: number } {
    return { deflated: this.blocksDeflated, raw: this.blocksRaw };
  }

  /** Records on disk so far. */
  get records(): number {
    return this.recordCount;
  }

  /** Telemetry as the collector decoded it, with the frame it came in: the bytes are recorded as they are. */
  telemetryFrame(agentKey: string, frame: Uint8Array, msg: TelemetryMsg, receivedAt: number): void {
    if (!this.open) return;
    this.writer.telemetryBytes(this.time(receivedAt), agentKey, frame);
    this.framed = msg;
    this.wrote();
  }

  telemetry(agentKey: string, msg: TelemetryMsg, receivedAt: number): void {
    if (msg === this.framed) {
      this.framed = undefined;
      return;
    }
    if (!this.open) return;
    this.writer.telemetry(this.time(receivedAt), agentKey, JSON.stringify(msg));
    this.wrote();
  }

  agentGone(agentKey: string, reason: string, at: number): void {
    if (!this.open) return;
    this.writer.agentGone(this.time(at), agentKey, reason);
    this.wrote();
  }

  malformed(agentKey: string | undefined, reason: string, detail: string): void {
    if (!this.open) return;
    this.writer.malformed(this.time(this.now()), agentKey, reason, detail);
    this.wrote();
  }

  collectorStatus(status: CollectorStatus): void {
    if (!this.open) return;
    this.writer.collectorStatus(this.time(this.now()), JSON.stringify(status));
    this.wrote();
  }

  clearExited(): void {
    if (!this.open) return;
    this.writer.clearExited(this.time(this.now()));
    this.wrote();
  }

  kernelPeers(found: ReadonlyMap<string, KernelPeer[]>): void {
    if (!this.open) return;
    this.writer.kernelPeers(this.time(this.now()), JSON.stringify([...found]));
    this.wrote();
  }

  /** Cuts what is pending into a block and queues it for compression and writing. */
  flush(): void {
    if (!this.open || this.writer.count === 0) return;
    this.queue(this.writer.take(), this.options.compress ?? true);
  }

  /** Resolves when every block cut so far is on disk (or the recording stopped). */
  drained(): Promise<void> {
    return this.chain;
  }

  /** Flushes, writes the End record, closes the file; resolves when all of it is on disk. */
  async stop(reason = 'stopped'): Promise<void> {
    if (this.open) {
      this.flush();
      this.open = false;
      clearInterval(this.timer);
      const at = this.time(this.now());
      this.chain = this.chain.then(() => this.writeEnd(reason, at, false));
    }
    await this.chain;
  }

  private queue(taken: ReturnType<RecordWriter['take']>, compress: boolean): void {
    const { raw, count, firstAt, lastAt } = taken;
    if (this.pendingBytes + raw.length > MAX_PENDING_BYTES) {
      this.stopByItself(`the disk could not keep up (over ${MAX_PENDING_BYTES / 1024 / 1024} MiB waiting to be written)`, firstAt);
      return;
    }
    const now = performance.now();
    const share = this.options.compressShare ?? COMPRESS_CPU_SHARE;
    this.allowanceMs = share === Infinity ? Infinity : Math.min(COMPRESS_ALLOWANCE_CAP_MS, this.allowanceMs + (now - this.allowanceAt) * share);
    this.allowanceAt = now;
    const squeeze = compress && raw.length > 64 && this.allowanceMs > 0 && this.pendingBytes < COMPRESS_BACKLOG_BYTES;
    this.pendingBytes += raw.length;
    const block = squeeze ? this.deflate(raw) : Promise.resolve(undefined);
    this.chain = this.chain.then(async () => {
      const deflated = await block;
      this.pendingBytes -= raw.length;
      if (this.fd === undefined) return;
      const bytes = encodeBlock(raw, count, firstAt, lastAt, deflated);
      if (this.written + bytes.length + END_RESERVE > this.maxBytes) {
        const reason = `size cap of ${this.maxBytes} bytes reached`;
        if (this.open) {
          this.open = false;
          clearInterval(this.timer);
          this.writer.take();
        }
        await this.writeEnd(reason, firstAt, true);
        return;
      }
      await this.write(bytes, count);
      if (deflated) this.blocksDeflated++;
      else this.blocksRaw++;
    });
  }

  /** Deflate in libuv's pool, its time charged to the allowance; undefined (write it raw) when it fails or does not help. */
  private deflate(raw: Buffer): Promise<Buffer | undefined> {
    const start = performance.now();
    return new Promise((resolve) => zlib.deflateRaw(raw, { level: 1 }, (err, out) => {
      this.allowanceMs -= performance.now() - start;
      resolve(err || out.length >= raw.length ? undefined : out);
    }));
  }

  private stopByItself(reason: string, at: number): void {
    this.open = false;
    clearInterval(this.timer);
    this.writer.take();
    this.chain = this.chain.then(() => this.writeEnd(reason, at, true));
  }

  private async writeEnd(reason: string, at: number, byItself: boolean): Promise<void> {
    if (this.fd === undefined) return;
    const end = new RecordWriter(1024);
    end.end(Math.max(at, this.lastAt), reason);
    const { raw, count, firstAt, lastAt } = end.take();
    await this.write(encodeBlock(raw, count, firstAt, lastAt, undefined), count);
    this.close(reason);
    if (byItself) this.options.onStopped?.(reason);
  }

  private async write(bytes: Buffer, count: number): Promise<void> {
    const fd = this.fd;
    if (fd === undefined) return;
    try {
      let off = 0;
      while (off < bytes.length) {
        off += await new Promise<number>((resolve, reject) => fs.write(fd, bytes, off, bytes.length - off, null, (err, n) => (err ? reject(err) : resolve(n))));
      }
      this.written += bytes.length;
      this.recordCount += count;
    } catch (err) {
      const reason = `cannot write the recording ${this.options.path}: ${(err as Error).message}`;
      this.open = false;
      clearInterval(this.timer);
      this.close(reason);
      this.options.onStopped?.(reason, err as Error);
    }
  }

  private close(reason: string): void {
    this.stopReason ??= reason;
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // Nothing more can be saved.
      }
    }
  }

  /**
   * Times are recorded as they were given: a telemetry message's arrival time is an input of the model
   * (its clock offsets). They may run a millisecond behind the record before (a status stamped while
   * the message was in hand); replay orders by the latest time seen so far (docs/RECORDING.md "Times").
   */
  private time(at: number): number {
    if (at > this.lastAt) this.lastAt = at;
    return at;
  }

  private wrote(): void {
    if (this.writer.bytes >= FLUSH_BYTES) this.flush();
  }
}
