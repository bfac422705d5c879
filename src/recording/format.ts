/**
 * The .zmqrec file format (docs/RECORDING.md): a header, then blocks appended one per flush, each
 * checksummed and compressed on its own, so a file cut anywhere reads up to its last whole block.
 *
 *   file   = "ZMQREC" u8 major u8 minor | u32 headerLength | header JSON | block*
 *   block  = u32 BLOCK_MAGIC | u32 payloadLength | u32 rawLength | u32 crc32(header + payload) | u8 codec
 *            | u32 records | f64 firstAt | f64 lastAt | payload
 *   record = u8 kind | f64 at | fields (strings: u32 length + UTF-8; absent string: length 0xffffffff)
 *
 * All integers little-endian. Pure encoding and decoding: no files, no clocks.
 */
import * as zlib from 'node:zlib';
import type { TelemetryMsg } from '../protocol/types';
import type { CollectorStatus, KernelPeer } from '../shared/snapshot';

export const FILE_MAGIC = Buffer.from('ZMQREC', 'latin1');
export const FORMAT_MAJOR = 2;
/** Majors this reader reads: 1 has every record kind but KernelPeers. */
export const READ_MAJORS: readonly number[] = [1, 2];
export const FORMAT_MINOR = 0;
/** Magic + major + minor + header length. */
export const FILE_PREFIX_BYTES = FILE_MAGIC.length + 2 + 4;
export const BLOCK_MAGIC = 0x3142525a; // "ZRB1" read as u32 LE
export const BLOCK_HEADER_BYTES = 4 + 4 + 4 + 4 + 1 + 4 + 8 + 8;
/** A header larger than this is not ours (or is damaged). */
export const MAX_HEADER_BYTES = 64 * 1024;
/** A block holds at most this many bytes of records before compression (the recorder flushes earlier). */
export const MAX_BLOCK_RAW_BYTES = 16 * 1024 * 1024;
const ABSENT = 0xffffffff;

export enum Codec {
  Raw = 0,
  Deflate = 1,
}

export enum Kind {
  /** A decoded, valid telemetry message as the store got it: agent key, message (JSON). */
  Telemetry = 1,
  /** The collector saw an agent's connection go: agent key, reason. */
  AgentGone = 2,
  /** A frame the collector refused: agent key (or absent), reason, detail. */
  Malformed = 3,
  /** The collector's status (JSON). */
  CollectorStatus = 4,
  /** The user cleared exited processes. */
  ClearExited = 5,
  /** The recording ended: reason ("stopped", "size cap of N bytes reached", …). */
  End = 6,
  /** Who the host's kernel says holds the connections of edges of peers without an agent (JSON [edge id, peers][]), when that changed. Since format 2. */
  KernelPeers = 7,
}

export interface RecordingHeader {
  /** Always "zmq-topology recording". */
  format: string;
  /** When recording started (collector clock, ms since the epoch). */
  startedAt: number;
  /** What wrote it, e.g. "zmq-topology cli 0.1.0". */
  producer: string;
  /** The store options the live model used (thresholds), so replay judges liveness the same way. */
  store: { warnAfterMs?: number; deadAfterMs?: number; timelineLength?: number; retryStorm?: { count: number; windowMs: number } };
  /** How often the recorder flushes (ms). */
  flushMs: number;
  /** The size cap (bytes). */
  maxBytes: number;
}

export type RecordBody =
  | { kind: Kind.Telemetry; agentKey: string; msg: TelemetryMsg }
  | { kind: Kind.AgentGone; agentKey: string; reason: string }
  | { kind: Kind.Malformed; agentKey: string | undefined; reason: string; detail: string }
  | { kind: Kind.CollectorStatus; status: CollectorStatus }
  | { kind: Kind.ClearExited }
  | { kind: Kind.End; reason: string }
  | { kind: Kind.KernelPeers; found: [string, KernelPeer[]][] };

export type Entry = RecordBody & { at: number };

export function encodeFileHeader(header: RecordingHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.alloc(FILE_PREFIX_BYTES + json.length);
  FILE_MAGIC.copy(out, 0);
  out.writeUInt8(FORMAT_MAJOR, FILE_MAGIC.length);
  out.writeUInt8(FORMAT_MINOR, FILE_MAGIC.length + 1);
  out.writeUInt32LE(json.length, FILE_MAGIC.length + 2);
  json.copy(out, FILE_PREFIX_BYTES);
  return out;
}

/**
 * Appends records to growing chunks with as few copies as it can: strings are written straight
 * into the chunk. `take()` hands the bytes written so far over as one buffer.
 */
export class RecordWriter {
  private chunk: Buffer;
  private pos = 0;
  private readonly full: Buffer[] = [];
  private fullBytes = 0;
  count = 0;
  private lastKey = '';
  private lastKeyBytes = Buffer.alloc(0);
  firstAt = 0;
  lastAt = 0;

  constructor(private readonly chunkBytes = 256 * 1024) {
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  get bytes(): number {
    return this.fullBytes + this.pos;
  }

  telemetry(at: number, agentKey: string, json: string): void {
    this.begin(Kind.Telemetry, at, 8 + agentKey.length * 3 + json.length * 3);
    this.str(agentKey);
    this.str(json);
  }

  /** Telemetry given as the JSON bytes it arrived in (the collector's frame). */
  telemetryBytes(at: number, agentKey: string, json: Uint8Array): void {
    if (agentKey !== this.lastKey) {
      // Agents send in bursts: the key's bytes are encoded once per burst.
      this.lastKey = agentKey;
      this.lastKeyBytes = Buffer.from(agentKey, 'utf8');
    }
    const key = this.lastKeyBytes;
    this.begin(Kind.Telemetry, at, 8 + key.length + json.byteLength);
    this.chunk.writeUInt32LE(key.length, this.pos);
    this.chunk.set(key, this.pos + 4);
    this.pos += 4 + key.length;
    this.chunk.writeUInt32LE(json.byteLength, this.pos);
    this.chunk.set(json, this.pos + 4);
    this.pos += 4 + json.byteLength;
  }

  agentGone(at: number, agentKey: string, reason: string): void {
    this.begin(Kind.AgentGone, at, 8 + (agentKey.length + reason.length) * 3);
    this.str(agentKey);
    this.str(reason);
  }

  malformed(at: number, agentKey: string | undefined, reason: string, detail: string): void {
    this.begin(Kind.Malformed, at, 12 + ((agentKey?.length ?? 0) + reason.length + detail.length) * 3);
    this.str(agentKey);
    this.str(reason);
    this.str(detail);
  }

  collectorStatus(at: number, json: string): void {
    this.begin(Kind.CollectorStatus, at, 4 + json.length * 3);
    this.str(json);
  }

  clearExited(at: number): void {
    this.begin(Kind.ClearExited, at, 0);
  }

  kernelPeers(at: number, json: string): void {
    this.begin(Kind.KernelPeers, at, 4 + json.length * 3);
    this.str(json);
  }

  end(at: number, reason: string): void {
    this.begin(Kind.End, at, 4 + reason.length * 3);
    this.str(reason);
  }

  /** The records written since the last take(), as one buffer (and the writer starts afresh). */
  take(): { raw: Buffer; count: number; firstAt: number; lastAt: number } {
    const parts = [...this.full, this.chunk.subarray(0, this.pos)];
    const raw = parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts, this.bytes);
    const taken = { raw, count: this.count, firstAt: this.firstAt, lastAt: this.lastAt };
    this.full.length = 0;
    this.fullBytes = 0;
    this.pos = 0;
    this.count = 0;
    return taken;
  }

  /** Room for the kind, the time and `most` more bytes (an upper bound: 3 bytes per UTF-16 unit). */
  private begin(kind: Kind, at: number, most: number): void {
    this.room(9 + most);
    this.chunk[this.pos] = kind;
    this.chunk.writeDoubleLE(at, this.pos + 1);
    this.pos += 9;
    if (this.count === 0) this.firstAt = at;
    this.lastAt = at;
    this.count++;
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.chunk.length) return;
    if (this.pos > 0) {
      this.full.push(this.chunk.subarray(0, this.pos));
      this.fullBytes += this.pos;
    }
    this.chunk = Buffer.allocUnsafe(Math.max(this.chunkBytes, bytes));
    this.pos = 0;
  }

  private str(text: string | undefined): void {
    if (text === undefined) {
      this.chunk.writeUInt32LE(ABSENT, this.pos);
      this.pos += 4;
      return;
    }
    const n = this.chunk.write(text, this.pos + 4, 'utf8');
    this.chunk.writeUInt32LE(n, this.pos);
    this.pos += 4 + n;
  }
}

/** One block: header + payload (`deflated` when compression helped, else the raw records). */
export function encodeBlock(raw: Buffer, count: number, firstAt: number, lastAt: number, deflated: Buffer | undefined): Buffer {
  const codec = deflated ? Codec.Deflate : Codec.Raw;
  const payload = deflated ?? raw;
  const head = Buffer.alloc(BLOCK_HEADER_BYTES);
  head.writeUInt32LE(BLOCK_MAGIC, 0);
  head.writeUInt32LE(payload.length, 4);
  head.writeUInt32LE(raw.length, 8);
  head.writeUInt8(codec, 16);
  head.writeUInt32LE(count, 17);
  head.writeDoubleLE(firstAt, 21);
  head.writeDoubleLE(lastAt, 29);
  head.writeUInt32LE(blockChecksum(head, payload), 12);
  return Buffer.concat([head, payload]);
}

/** CRC-32 of the block header (all of it but the checksum field) and the payload. */
export function blockChecksum(head: Buffer, payload: Buffer): number {
  return zlib.crc32(payload, zlib.crc32(head.subarray(16, BLOCK_HEADER_BYTES), zlib.crc32(head.subarray(0, 12))));
}

export interface BlockHeader {
  payloadLength: number;
  rawLength: number;
  crc: number;
  codec: number;
  count: number;
  firstAt: number;
  lastAt: number;
}

export function decodeBlockHeader(buf: Buffer, offset: number): BlockHeader | string {
  if (buf.readUInt32LE(offset) !== BLOCK_MAGIC) return 'no block marker';
  const h: BlockHeader = {
    payloadLength: buf.readUInt32LE(offset + 4),
    rawLength: buf.readUInt32LE(offset + 8),
    crc: buf.readUInt32LE(offset + 12),
    codec: buf.readUInt8(offset + 16),
    count: buf.readUInt32LE(offset + 17),
    firstAt: buf.readDoubleLE(offset + 21),
    lastAt: buf.readDoubleLE(offset + 29),
  };
  if (h.codec !== Codec.Raw && h.codec !== Codec.Deflate) return `unknown codec ${h.codec}`;
  if (h.rawLength > MAX_BLOCK_RAW_BYTES) return `block of ${h.rawLength} bytes is larger than any recorder writes`;
  if (h.codec === Codec.Raw && h.payloadLength !== h.rawLength) return 'raw block with two lengths';
  if (!Number.isFinite(h.firstAt) || !Number.isFinite(h.lastAt)) return 'block times are not numbers';
  return h;
}

/** The records of one block's (checked, decompressed) payload, fields as byte ranges. Throws with a reason on bad bytes. */
export function* decodeRecords(raw: Buffer): Generator<{ kind: number; at: number; fields: (Buffer | undefined)[] }> {
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > raw.length) throw new Error(`record runs past its block (${pos + n} > ${raw.length})`);
  };
  const field = (): Buffer | undefined => {
    need(4);
    const n = raw.readUInt32LE(pos);
    pos += 4;
    if (n === ABSENT) return undefined;
    need(n);
    const b = raw.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  while (pos < raw.length) {
    need(9);
    const kind = raw[pos]!;
    const at = raw.readDoubleLE(pos + 1);
    pos += 9;
    if (!Number.isFinite(at)) throw new Error('record time is not a number');
    const arity = ARITY[kind];
    if (arity === undefined) throw new Error(`unknown record kind ${kind}`);
    const fields: (Buffer | undefined)[] = [];
    for (let i = 0; i < arity; i++) fields.push(field());
    yield { kind, at, fields };
  }
}

/** Strings per record kind. */
const ARITY: Record<number, number> = {
  [Kind.Telemetry]: 2,
  [Kind.AgentGone]: 2,
  [Kind.Malformed]: 3,
  [Kind.CollectorStatus]: 1,
  [Kind.ClearExited]: 0,
  [Kind.End]: 1,
  [Kind.KernelPeers]: 1,
};
