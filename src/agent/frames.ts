/**
 * Per-message helpers on the hot path: byte counts, the message type frame, heartbeat recognition.
 * Message types are kept as short latin1 keys (one byte per char, first TYPE_BYTES bytes) so that
 * counting needs no hex or JSON work per message; labels are made only when telemetry is flushed.
 */
import { toBin, binLabel } from '../protocol/bin';
import { sameBytes } from './byteTable';
import type { MessageLike } from './zmq';

export const DEFAULT_HEARTBEATS = '\\x02,HEARTBEAT,PING,PONG,HUGZ,MDPW01|\\x04';

/** Longest message type the agent distinguishes; longer type frames are counted by their prefix. */
export const TYPE_BYTES = 32;

/**
 * Where the envelope ends. ROUTER-like sockets (ROUTER, STREAM) carry the peer's routing id as
 * the first frame, then an optional empty delimiter; DEALER/REQ-likes may carry just the delimiter.
 */
export type EnvelopeKind = 'router' | 'dealer' | 'plain';

/**
 * A heartbeat pattern: the message's type frame, and for protocols that put their command in the
 * frame after a fixed header (Majordomo's worker heartbeat `["", "MDPW01", "\x04"]`), that frame too.
 */
export interface HeartbeatPattern {
  type: Buffer;
  next?: Buffer;
}

/**
 * `ZMQ_TOPOLOGY_HEARTBEATS`: comma-separated patterns, `|` between the type frame and the next one,
 * `\xNN` for any byte (`\x2c` a comma, `\x7c` a bar), `\\` for a backslash.
 */
export function parseHeartbeatPatterns(spec: string | undefined): HeartbeatPattern[] {
  const source = spec === undefined || spec.trim() === '' ? DEFAULT_HEARTBEATS : spec;
  const patterns: HeartbeatPattern[] = [];
  for (const part of source.split(',')) {
    const frames = part.split('|').map(unescape);
    // A frame longer than a type key can never match; three frames or an empty one is no pattern.
    if (frames.length > 2 || frames.some((f) => f.length === 0 || f.length > TYPE_BYTES)) continue;
    patterns.push(frames.length === 2 ? { type: frames[0], next: frames[1] } : { type: frames[0] });
  }
  return patterns;
}

function unescape(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && text[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      bytes.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (c === '\\' && text[i + 1] === '\\') {
      bytes.push(0x5c);
      i += 1;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

/** The heartbeat patterns as type keys, and the longest, to skip the lookup for longer frames. */
export interface Heartbeats {
  /** Type keys that are a heartbeat by themselves. */
  readonly keys: ReadonlySet<string>;
  readonly maxBytes: number;
  /** Type keys that are a heartbeat when the next frame is one of these. */
  readonly next: ReadonlyMap<string, readonly Buffer[]>;
}

export function heartbeatKeys(patterns: readonly HeartbeatPattern[]): Heartbeats {
  const keys = new Set<string>();
  const next = new Map<string, Buffer[]>();
  for (const p of patterns) {
    const key = p.type.toString('latin1');
    if (p.next === undefined) keys.add(key);
    else next.set(key, [...(next.get(key) ?? []), p.next]);
  }
  return { keys, maxBytes: Math.max(0, ...patterns.map((p) => p.type.length)), next };
}

/** Whether `frame` is exactly one of `frames` (a two-frame heartbeat's second frame). */
export function isOneOf(frame: MessageLike | undefined, frames: readonly Buffer[]): boolean {
  if (frame === undefined) return false;
  const bytes = typeBytes(frame);
  for (const f of frames) {
    if (sameBytes(f, bytes, bytes.length) && (typeof frame !== 'string' || frameBytes(frame) === f.length)) return true;
  }
  return false;
}

/** Anything outside printable ASCII; strings without it have one byte per char. */
const NOT_PLAIN_ASCII = /[^ -~]/;

/** Size of one outgoing frame as zeromq.js will send it. */
export function frameBytes(frame: MessageLike): number {
  if (typeof frame === 'string') return NOT_PLAIN_ASCII.test(frame) ? Buffer.byteLength(frame, 'utf8') : frame.length;
  if (frame === null) return 0;
  if (typeof frame === 'number') return String(frame).length;
  return frame.byteLength;
}

/** The type key of a frame: its first TYPE_BYTES bytes, one char per byte. */
export function frameKey(frame: MessageLike | undefined): string {
  if (frame === undefined || frame === null) return '';
  if (typeof frame === 'string') {
    const head = frame.length > TYPE_BYTES ? frame.slice(0, TYPE_BYTES) : frame;
    return NOT_PLAIN_ASCII.test(head) ? Buffer.from(head, 'utf8').toString('latin1', 0, TYPE_BYTES) : head;
  }
  if (typeof frame === 'number') return String(frame).slice(0, TYPE_BYTES);
  if (Buffer.isBuffer(frame)) return frame.toString('latin1', 0, Math.min(frame.length, TYPE_BYTES));
  if (ArrayBuffer.isView(frame)) {
    return Buffer.from(frame.buffer, frame.byteOffset, Math.min(frame.byteLength, TYPE_BYTES)).toString('latin1');
  }
  return Buffer.from(frame, 0, Math.min(frame.byteLength, TYPE_BYTES)).toString('latin1');
}

const NO_BYTES = new Uint8Array(0);

/**
 * The bytes a frame's type key is made of, without copying Buffers and other byte views (the hot
 * path); strings and numbers go through frameKey (zeromq.js converts them per send anyway).
 */
export function typeBytes(frame: MessageLike | undefined): Uint8Array {
  if (frame instanceof Uint8Array) return frame;
  if (frame === undefined || frame === null) return NO_BYTES;
  if (typeof frame === 'string' || typeof frame === 'number') return Buffer.from(frameKey(frame), 'latin1');
  if (ArrayBuffer.isView(frame)) return new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  return new Uint8Array(frame);
}

function isEmpty(frame: MessageLike | undefined): boolean {
  return frame !== undefined && frame !== null && typeof frame !== 'number' && (typeof frame === 'string' ? frame.length === 0 : frame.byteLength === 0);
}

/** Index of the message type frame: the first frame after the envelope (may be past the end). */
export function typeFrameIndex(kind: EnvelopeKind, frames: ArrayLike<MessageLike>): number {
  if (kind === 'router') return frames.length > 2 && isEmpty(frames[1]) ? 2 : 1;
  if (kind === 'dealer') return frames.length > 1 && isEmpty(frames[0]) ? 1 : 0;
  return 0;
}

/** How a type key is shown: printable text, else 0x-hex (same rule as every Bin; no frame is `0x`). */
export function typeLabel(key: string): string {
  return binLabel(toBin(Buffer.from(key, 'latin1'), TYPE_BYTES));
}

/** A frame's bytes as zeromq.js sends them (strings as UTF-8, numbers as their decimal text). */
export function wireBytes(frame: MessageLike | undefined): Uint8Array {
  if (frame instanceof Uint8Array) return frame;
  if (frame === undefined || frame === null) return NO_BYTES;
  if (typeof frame === 'string') return Buffer.from(frame, 'utf8');
  if (typeof frame === 'number') return Buffer.from(String(frame), 'utf8');
  if (ArrayBuffer.isView(frame)) return new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  return new Uint8Array(frame);
}
