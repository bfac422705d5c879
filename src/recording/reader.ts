/**
 * Reads a .zmqrec file (docs/RECORDING.md) into its entries. Every byte is data from outside
 * (docs/ARCHITECTURE.md invariant 4): telemetry is validated again by the collector's own decoder,
 * the collector status by shape. A file cut short or damaged is read up to its last good block and
 * `problem` says where it stopped (bytes, records, time); only a file that is not a recording at all
 * (or of a newer major version) throws a RecordingError.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { decode } from '../protocol/codec';
import type { CollectorStatus, KernelPeer } from '../shared/snapshot';
import {
  BLOCK_HEADER_BYTES, blockChecksum, Codec, decodeBlockHeader, decodeRecords, FILE_MAGIC, FILE_PREFIX_BYTES, FORMAT_MAJOR, Kind, MAX_HEADER_BYTES, READ_MAJORS,
  type Entry, type RecordingHeader,
} from './format';

export class RecordingError extends Error {}

export interface ReadProblem {
  /** `truncated`: the file ends inside a block; `corrupted`: a block's bytes are wrong. */
  kind: 'truncated' | 'corrupted';
  /** One sentence for a person: what is wrong and how much was read. */
  message: string;
  /** Bytes of the file read before the problem (whole blocks only). */
  bytesRead: number;
  /** Records read before it. */
  records: number;
  /** The latest time of the records read (collector clock), or the start when none was. */
  upTo: number;
}

export interface Recording {
  header: RecordingHeader;
  /** Format version as "major.minor". */
  version: string;
  entries: Entry[];
  /** File size. */
  bytes: number;
  /** The End record, when the recorder stopped cleanly (or by its size cap). */
  end?: { at: number; reason: string };
  problem?: ReadProblem;
  /** First instant (the recording's start) and last instant covered. */
  startAt: number;
  endAt: number;
}

export function readRecordingFile(file: string): Recording {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new RecordingError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return readRecording(bytes);
}

export function readRecording(buf: Buffer): Recording {
  const header = readHeader(buf);
  const version = `${buf[FILE_MAGIC.length]}.${buf[FILE_MAGIC.length + 1]}`;
  const entries: Entry[] = [];
  let offset = FILE_PREFIX_BYTES + buf.readUInt32LE(FILE_MAGIC.length + 2);
  let end: Recording['end'];
  let problem: ReadProblem | undefined;
  let upTo = header.startedAt;
  const fail = (kind: ReadProblem['kind'], why: string, at: number) => {
    const secs = ((upTo - header.startedAt) / 1000).toFixed(3);
    problem = {
      kind, bytesRead: offset, records: entries.length, upTo,
      message: `recording ${kind} at byte ${at} of ${buf.length} (${why}): read ${offset} bytes, ${entries.length} records, ` +
        `up to +${secs}s (${new Date(upTo).toISOString()}); what follows is not replayed`,
    };
  };
  while (offset < buf.length && !problem && !end) {
    if (buf.length - offset < BLOCK_HEADER_BYTES) {
      fail('truncated', `a block header needs ${BLOCK_HEADER_BYTES} bytes, ${buf.length - offset} left`, offset);
      break;
    }
    const head = decodeBlockHeader(buf, offset);
    if (typeof head === 'string') {
      fail('corrupted', head, offset);
      break;
    }
    const start = offset + BLOCK_HEADER_BYTES;
    if (start + head.payloadLength > buf.length) {
      fail('truncated', `the last block needs ${head.payloadLength} bytes, ${buf.length - start} left`, offset);
      break;
    }
    const payload = buf.subarray(start, start + head.payloadLength);
    if (blockChecksum(buf.subarray(offset, start), payload) !== head.crc) {
      fail('corrupted', 'block checksum mismatch', offset);
      break;
    }
    let raw: Buffer;
    try {
      raw = head.codec === Codec.Deflate ? zlib.inflateRawSync(payload, { maxOutputLength: head.rawLength }) : payload;
      if (raw.length !== head.rawLength) throw new Error(`${raw.length} bytes inflated, ${head.rawLength} announced`);
    } catch (err) {
      fail('corrupted', `block does not decompress: ${(err as Error).message}`, offset);
      break;
    }
    const block: Entry[] = [];
    try {
      for (const r of decodeRecords(raw)) {
        const entry = toEntry(r.kind, r.at, r.fields);
        block.push(entry);
        if (entry.kind === Kind.End) {
          end = { at: entry.at, reason: entry.reason };
          break;
        }
      }
      if (block.length !== head.count && !end) throw new Error(`${block.length} records, ${head.count} announced`);
    } catch (err) {
      end = undefined;
      fail('corrupted', (err as Error).message, offset);
      break;
    }
    for (const e of block) {
      entries.push(e);
      if (e.at > upTo) upTo = e.at;
    }
    offset = start + head.payloadLength;
  }
  let lastAt = header.startedAt;
  for (const e of entries) if (e.at > lastAt) lastAt = e.at;
  return { header, version, entries, bytes: buf.length, ...(end ? { end } : {}), ...(problem ? { problem } : {}), startAt: header.startedAt, endAt: Math.max(lastAt, end?.at ?? lastAt) };
}

function readHeader(buf: Buffer): RecordingHeader {
  if (buf.length < FILE_PREFIX_BYTES || !buf.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC)) {
    throw new RecordingError(buf.length < FILE_MAGIC.length && FILE_MAGIC.subarray(0, buf.length).equals(buf)
      ? `recording truncated at byte ${buf.length}: not even its header was written (read 0 records)`
      : 'not a zmq-topology recording (no ZMQREC signature at its start)');
  }
  const major = buf[FILE_MAGIC.length]!;
  if (!READ_MAJORS.includes(major)) {
    throw new RecordingError(`recording format ${major}.${buf[FILE_MAGIC.length + 1]} is not one this zmq-topology reads (${READ_MAJORS.join('.x, ')}.x; it writes ${FORMAT_MAJOR}.x)`);
  }
  const length = buf.readUInt32LE(FILE_MAGIC.length + 2);
  if (length > MAX_HEADER_BYTES) throw new RecordingError(`recording header corrupted: it claims ${length} bytes (read 0 records)`);
  if (FILE_PREFIX_BYTES + length > buf.length) throw new RecordingError(`recording truncated at byte ${buf.length} inside its header (read 0 records)`);
  let header: unknown;
  try {
    header = JSON.parse(buf.toString('utf8', FILE_PREFIX_BYTES, FILE_PREFIX_BYTES + length));
  } catch {
    throw new RecordingError('recording header corrupted: not JSON (read 0 records)');
  }
  const h = header as Partial<RecordingHeader>;
  if (typeof h !== 'object' || h === null || h.format !== 'zmq-topology recording' || typeof h.startedAt !== 'number' || !Number.isFinite(h.startedAt)) {
    throw new RecordingError('recording header corrupted: fields missing (read 0 records)');
  }
  const store = typeof h.store === 'object' && h.store !== null ? h.store : {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
  const storm = store.retryStorm;
  return {
    format: h.format, startedAt: h.startedAt, producer: typeof h.producer === 'string' ? h.producer.slice(0, 200) : 'unknown',
    store: {
      ...(num(store.warnAfterMs) ? { warnAfterMs: num(store.warnAfterMs) } : {}),
      ...(num(store.deadAfterMs) ? { deadAfterMs: num(store.deadAfterMs) } : {}),
      ...(num(store.timelineLength) ? { timelineLength: Math.min(1000, Math.floor(num(store.timelineLength)!)) } : {}),
      ...(storm && num(storm.count) && num(storm.windowMs) ? { retryStorm: { count: num(storm.count)!, windowMs: num(storm.windowMs)! } } : {}),
    },
    flushMs: num(h.flushMs) ?? 0,
    maxBytes: num(h.maxBytes) ?? 0,
  };
}

/** The records of one block's raw payload as entries, validated as a file's are (throws with a reason). */
export function decodeEntries(raw: Buffer): Entry[] {
  const out: Entry[] = [];
  for (const r of decodeRecords(raw)) out.push(toEntry(r.kind, r.at, r.fields));
  return out;
}

const TEXT_CAP = 1024;

function text(field: Buffer | undefined, what: string): string {
  if (field === undefined) throw new Error(`${what} missing`);
  return field.toString('utf8', 0, Math.min(field.length, TEXT_CAP * 4)).slice(0, TEXT_CAP);
}

function toEntry(kind: number, at: number, fields: (Buffer | undefined)[]): Entry {
  switch (kind) {
    case Kind.Telemetry: {
      const agentKey = text(fields[0], 'agent key');
      const result = decode(fields[1] ?? Buffer.alloc(0));
      if (!result.ok) throw new Error(`telemetry record refused (${result.reason}: ${result.detail})`);
      return { kind, at, agentKey, msg: result.msg };
    }
    case Kind.AgentGone:
      return { kind, at, agentKey: text(fields[0], 'agent key'), reason: text(fields[1], 'reason') };
    case Kind.Malformed:
      return { kind, at, agentKey: fields[0] === undefined ? undefined : text(fields[0], 'agent key'), reason: text(fields[1], 'reason'), detail: text(fields[2], 'detail') };
    case Kind.CollectorStatus:
      return { kind, at, status: collectorStatus(fields[0]) };
    case Kind.ClearExited:
      return { kind, at };
    case Kind.End:
      return { kind, at, reason: text(fields[0], 'reason') };
    case Kind.KernelPeers:
      return { kind, at, found: kernelPeers(fields[0]) };
    default:
      throw new Error(`unknown record kind ${kind}`);
  }
}

/** Recorded kernel peers, keeping only the fields docs/SNAPSHOT.md defines, with their types and lengths. */
function kernelPeers(field: Buffer | undefined): [string, KernelPeer[]][] {
  if (field === undefined || field.length > 4 * 1024 * 1024) throw new Error('kernel peers missing or too large');
  const v = JSON.parse(field.toString('utf8')) as unknown;
  if (!Array.isArray(v)) throw new Error('kernel peers have the wrong shape');
  return v.map((pair: unknown): [string, KernelPeer[]] => {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || !Array.isArray(pair[1])) throw new Error('kernel peers have the wrong shape');
    const peers = (pair[1] as unknown[]).map((p): KernelPeer => {
      const x = p as Record<string, unknown>;
      if (typeof x !== 'object' || x === null || typeof x.address !== 'string') throw new Error('a kernel peer has no address');
      return {
        address: x.address.slice(0, 512),
        ...(typeof x.pid === 'number' && Number.isInteger(x.pid) ? { pid: x.pid } : {}),
        ...(typeof x.command === 'string' ? { command: x.command.slice(0, 160) } : {}),
      };
    });
    return [pair[0].slice(0, 1024), peers];
  });
}

/** A recorded CollectorStatus, keeping only the fields docs/SNAPSHOT.md defines, with their types. */
function collectorStatus(field: Buffer | undefined): CollectorStatus {
  if (field === undefined || field.length > 64 * 1024) throw new Error('collector status missing or too large');
  const v = JSON.parse(field.toString('utf8')) as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || typeof v.endpoint !== 'string' || typeof v.listening !== 'boolean' || typeof v.agents !== 'number') {
    throw new Error('collector status has the wrong shape');
  }
  const counts = (x: unknown): Record<string, number> | undefined => {
    if (typeof x !== 'object' || x === null) return undefined;
    const out: Record<string, number> = {};
    for (const [k, n] of Object.entries(x).slice(0, 64)) if (typeof n === 'number' && Number.isFinite(n)) out[k.slice(0, 64)] = n;
    return out;
  };
  const refused = v.lastRefused as Record<string, unknown> | undefined;
  return {
    endpoint: v.endpoint.slice(0, 512), listening: v.listening, malformed: counts(v.malformed) ?? {}, agents: v.agents,
    ...(v.discarded !== undefined && counts(v.discarded) ? { discarded: counts(v.discarded) } : {}),
    ...(v.curve === true ? { curve: true } : {}),
    ...(typeof v.refused === 'number' ? { refused: v.refused } : {}),
    ...(refused && typeof refused.at === 'number' && typeof refused.reason === 'string'
      ? { lastRefused: { at: refused.at, reason: refused.reason.slice(0, 200), ...(typeof refused.address === 'string' ? { address: refused.address.slice(0, 200) } : {}) } }
      : {}),
  };
}
