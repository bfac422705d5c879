/**
 * The fingerprint of one message as both ends of a connection see it: what lets the collector tell
 * which connecting socket an anonymous ROUTER peer is (docs/PROTOCOL.md, "Attribution evidence").
 * The Python agent computes the same (agents/python/zmq_topology/wire.py); shared test vectors keep
 * them in step.
 *
 * Both ends must hash the same frames, so the envelope goes first. A ROUTER drops its first frame
 * (the routing id). A ROUTER or DEALER then drops everything up to and including the first empty
 * frame when one of the first two frames is empty: the REQ delimiter, and before it a
 * ZMQ_REQ_CORRELATE request id, are seen by that end only, as is a hop's address before its
 * delimiter. A REQ or REP hashes its frames as they are (libzmq already took the envelope off).
 * FNV-1a (32 bit) then runs over the number of frames left (one byte, at most 255) and, for each of
 * the first FINGERPRINT_FRAMES of them, its length as 4 bytes little-endian and its first
 * FINGERPRINT_BYTES bytes.
 */
export const FINGERPRINT_FRAMES = 4;
export const FINGERPRINT_BYTES = 16;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function mix(h: number, byte: number): number {
  return Math.imul(h ^ byte, FNV_PRIME) >>> 0;
}

/** Whose frames: a ROUTER's (routing id first), a DEALER's, or a REQ's or REP's (no envelope). */
export type FingerprintSide = 'router' | 'dealer' | 'request';

/** `frames` as the app handed or got them. */
export function fingerprint(frames: readonly Uint8Array[], side: FingerprintSide): string {
  let start = side === 'router' ? 1 : 0;
  if (side !== 'request') {
    if (start < frames.length && frames[start].length === 0) start += 1;
    else if (start + 1 < frames.length && frames[start + 1].length === 0) start += 2;
  }
  const count = frames.length - start;
  let h = mix(FNV_OFFSET, Math.min(count, 255));
  const end = Math.min(frames.length, start + FINGERPRINT_FRAMES);
  for (let i = start; i < end; i++) {
    const frame = frames[i];
    const length = frame.length;
    h = mix(h, length & 0xff);
    h = mix(h, (length >>> 8) & 0xff);
    h = mix(h, (length >>> 16) & 0xff);
    h = mix(h, (length >>> 24) & 0xff);
    const n = length < FINGERPRINT_BYTES ? length : FINGERPRINT_BYTES;
    for (let k = 0; k < n; k++) h = mix(h, frame[k]);
  }
  return h.toString(16).padStart(8, '0');
}
