import { LIMITS, type Bin } from './types';

// Printable = valid UTF-8 with no control characters; anything else is shown as hex only.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/;

/** Bytes from the app as a Bin (hex always, text when printable), capped at `max` bytes. */
export function toBin(bytes: Uint8Array | string, max: number = LIMITS.binBytes): Bin {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const capped = buf.length > max ? buf.subarray(0, max) : buf;
  return binOf(capped.toString('hex'), capped);
}

function binOf(hex: string, bytes: Buffer): Bin {
  const text = bytes.toString('utf8');
  return !CONTROL.test(text) && Buffer.byteLength(text) === bytes.length && text.length > 0 ? { hex, text } : { hex };
}

/** The Bin of bytes known by their hex (the model keeps routing ids as hex: a string, not an object and two). */
export function binOfHex(hex: string): Bin {
  return binOf(hex, Buffer.from(hex, 'hex'));
}

/** How a Bin is shown to a person: its text when printable, else `0x` + hex. */
export function binLabel(bin: Bin): string {
  return bin.text !== undefined ? bin.text : `0x${bin.hex}`;
}

/** A Bin as a map key: the hex is the identity, the text only a rendering of it. */
export function binKey(bin: Bin): string {
  return bin.hex;
}
