/**
 * Writes a .zmqrec file (docs/RECORDING.md): every input that changes the model, appended in blocks.
 * A block goes to the file (one write) at least every `flushMs`, when 1 MiB of records is pending,
 * and on stop, so a killed process leaves a file readable up to its last flush. Past the size cap the
 * recording stops (with an End record saying so) and `onStopped` is told; the live model goes on.
 *
 * Cost on the collector's receive path: one JSON.stringify per message into a reused buffer;
 * compression and the write happen once per block.
 */
import * as fs from 'node:fs';
import type { TelemetryMsg } from '../protocol/types';
import type { CollectorStatus } from '../shared/snapshot';
import { encodeBlock, encodeFileHeader, RecordWriter, type RecordingHeader } from './format';

export const DEFAULT_FLUSH_MS = 1000;
export const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;
/** Pending records past this are flushed at once (bounds memory and block size). */
const FLUSH_BYTES = 1024 * 1024;
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
  /** The collector's clock, for inputs that carry no time of their own. */
  now?: () => number;
  /** The recording stopped by itself: size cap reached, or the file could not be written. */
  onStopped?: (reason: string, error?: Error) => void;
}

export class Recorder {
  private fd: number | undefined;
  private readonly writer = new RecordWriter();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly maxBytes: number;
  private lastAt = -Infinity;
  private written = 0;
  private recordCount = 0;
  private stopReason: string | undefined;

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
    } catch (err) {
      if (this.fd !== undefined) fs.closeSync(this.fd);
      throw new Error(`cannot write the recording ${options.path}: ${(err as Error).message}`, { cause: err });
    }
    this.written = bytes.length;
    this.lastAt = header.startedAt;
    this.timer = setInterval(() => this.flush(), header.flushMs);
    this.timer.unref();
  }

  get path(): string {
    return this.options.path;
  }

  /** False once stopped (by stop(), the size cap or a write error). */
  get active(): boolean {
    return this.fd !== undefined;
  }

  /** Why it stopped, once it has. */
  get stoppedReason(): string | undefined {
    return this.stopReason;
  }

  get bytesWritten(): number {
    return this.written;
  }

  get records(): number {
    return this.recordCount;
  }

  telemetry(agentKey: string, msg: TelemetryMsg, receivedAt: number): void {
    if (this.fd === undefined) return;
    this.writer.telemetry(this.time(receivedAt), agentKey, JSON.stringify(msg));
    this.wrote();
  }

  agentGone(agentKey: string, reason: string, at: number): void {
    if (this.fd === undefined) return;
    this.writer.agentGone(this.time(at), agentKey, reason);
    this.wrote();
  }

  malformed(agentKey: string | undefined, reason: string, detail: string): void {
    if (this.fd === undefined) return;
    this.writer.malformed(this.time(this.now()), agentKey, reason, detail);
    this.wrote();
  }

  collectorStatus(status: CollectorStatus): void {
    if (this.fd === undefined) return;
    this.writer.collectorStatus(this.time(this.now()), JSON.stringify(status));
    this.wrote();
  }

  clearExited(): void {
    if (this.fd === undefined) return;
    this.writer.clearExited(this.time(this.now()));
    this.wrote();
  }

  /** Writes what is pending as one block. */
  flush(): void {
    if (this.fd === undefined || this.writer.count === 0) return;
    const { raw, count, firstAt, lastAt } = this.writer.take();
    const block = encodeBlock(raw, count, firstAt, lastAt, this.options.compress ?? true);
    if (this.written + block.length + END_RESERVE > this.maxBytes) {
      this.finish(`size cap of ${this.maxBytes} bytes reached`, firstAt);
      return;
    }
    this.writeBlock(block, count);
  }

  /** Flushes, writes the End record and closes the file. */
  stop(reason = 'stopped'): void {
    if (this.fd === undefined) return;
    this.flush();
    if (this.fd === undefined) return; // the cap was hit by that flush
    this.finish(reason, this.now(), false);
  }

  private finish(reason: string, at: number, byItself = true): void {
    // Pending records are dropped when the cap is hit: the End record must fit.
    this.writer.take();
    this.writer.end(this.time(at), reason);
    const { raw, count, firstAt, lastAt } = this.writer.take();
    this.writeBlock(encodeBlock(raw, count, firstAt, lastAt, false), count);
    this.close(reason);
    if (byItself) this.options.onStopped?.(reason);
  }

  private writeBlock(block: Buffer, count: number): void {
    const fd = this.fd;
    if (fd === undefined) return;
    try {
      let off = 0;
      while (off < block.length) off += fs.writeSync(fd, block, off, block.length - off);
      this.written += block.length;
      this.recordCount += count;
    } catch (err) {
      const reason = `cannot write the recording ${this.options.path}: ${(err as Error).message}`;
      this.close(reason);
      this.options.onStopped?.(reason, err as Error);
    }
  }

  private close(reason: string): void {
    clearInterval(this.timer);
    this.stopReason = reason;
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

  /** Recorded times never go back, so "the inputs up to T" is always a prefix of the file. */
  private time(at: number): number {
    if (at > this.lastAt) this.lastAt = at;
    return this.lastAt;
  }

  private wrote(): void {
    if (this.writer.bytes >= FLUSH_BYTES) this.flush();
  }
}
