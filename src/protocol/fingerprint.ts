/**
 * The fingerprint of one message as both ends of a connection see it: what lets the collector tell
 * which connecting socket an anonymous ROUTER peer is (docs/PROTOCOL.md, "Attribution evidence").
 * The Python agent computes the same (agents/python/zmq_topology/wire.py); a shared test vector keeps
 * them in step.
 *
 * Both ends see the same frames once the envelope is gone: a ROUTER's first frame (the routing id)
 * is dropped, then any leading empty frames (REQ/REP delimiters, which one end sees and the other
 * does not). FNV-1a (32 bit) then runs over the number of frames left (one byte, at most 255) and, for
 * each of the first FINGERPRINT_FRAMES of them, its length as 4 bytes little-endian and its first
 * FINGERPRINT_BYTES bytes.
 */
export const FINGERPRINT_FRAMES = 4;
export const FINGERPRINT_BYTES = 16;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function mix(h: number, byte: number): number {
  return Math.imul(h ^ byte, FNV_PRIME) >>> 0;
}

/** `frames` as the app handed or got them; `router`: the first frame is a routing id. */
export function fingerprint(frames: readonly Uint8Array[], router: boolean): string {
  let start = router ? 1 : 0;
  while (start < frames.length && frames[start].length === 0) start++;
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
