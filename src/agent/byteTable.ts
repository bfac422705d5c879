/**
 * Tables keyed by a frame's bytes (a peer's routing id, a message type prefix) that a message can
 * be looked up in without building a string: a 30-bit hash of the bytes picks a bucket, and a
 * byte-by-byte comparison with the stored copy confirms the match. Per message this is a short
 * loop over the bytes and one Map lookup by a small integer, with nothing allocated.
 */

/**
 * FNV-1a over bytes[0..n) (for long keys only their first and last 8 bytes, the comparison
 * settles the rest), folded to 30 bits so that V8 keeps it a small integer (no heap number).
 */
export function hashBytes(bytes: Uint8Array, n: number): number {
  let h = 0x811c9dc5 ^ n;
  if (n <= 16) {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  } else {
    for (let i = 0; i < 8; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    for (let i = n - 8; i < n; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  }
  return (h ^ (h >>> 30)) & 0x3fffffff;
}

interface Entry<V> {
  /** A copy: the app may reuse or change its buffer after the message. */
  readonly bytes: Buffer;
  readonly value: V;
  next: Entry<V> | undefined;
}

/** Whether bytes[0..n) are exactly `stored`. */
export function sameBytes(stored: Uint8Array, bytes: Uint8Array, n: number): boolean {
  if (stored.length !== n) return false;
  for (let i = 0; i < n; i++) if (stored[i] !== bytes[i]) return false;
  return true;
}

export class ByteTable<V> {
  private readonly buckets = new Map<number, Entry<V>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The value stored for bytes[0..n), whose hashBytes() is `hash`. */
  get(bytes: Uint8Array, n: number, hash: number): V | undefined {
    for (let e = this.buckets.get(hash); e !== undefined; e = e.next) {
      if (sameBytes(e.bytes, bytes, n)) return e.value;
    }
    return undefined;
  }

  /** Stores a value for bytes that are not in the table yet (get() said so); returns the stored copy. */
  add(bytes: Uint8Array, n: number, hash: number, value: V): Buffer {
    const copy = Buffer.from(bytes.subarray(0, n));
    this.buckets.set(hash, { bytes: copy, value, next: this.buckets.get(hash) });
    this.count++;
    return copy;
  }

  delete(bytes: Uint8Array, n: number, hash: number): void {
    let prev: Entry<V> | undefined;
    for (let e = this.buckets.get(hash); e !== undefined; prev = e, e = e.next) {
      if (!sameBytes(e.bytes, bytes, n)) continue;
      if (prev !== undefined) prev.next = e.next;
      else if (e.next !== undefined) this.buckets.set(hash, e.next);
      else this.buckets.delete(hash);
      this.count--;
      return;
    }
  }
}
