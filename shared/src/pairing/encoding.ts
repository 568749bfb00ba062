/**
 * Byte-string helpers shared by CPace and the pairing transcript: the length-prefixed
 * encodings, plus constant-time comparison and wiping of secrets.
 *
 * Everything the pairing code hashes or MACs is built from length-prefixed fields, so two
 * different field lists can never encode to the same bytes (a prefix-free encoding, see
 * draft-irtf-cfrg-cpace section 10.2). The length prefix is the draft's LEB128 `prepend_len`,
 * reused for our own transcript so there is exactly one encoder to get right.
 */
import { timingSafeEqual } from 'node:crypto';

const textEncoder = new TextEncoder();

/** LEB128 of a non-negative integer: 7 bits per byte, least significant group first. */
export function leb128(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError('leb128 needs a non-negative safe integer');
  }
  const out: number[] = [];
  let rest = value;
  do {
    // Division instead of `>>` so lengths above 2^31 do not wrap (they never occur here,
    // but an encoder that silently wraps is the kind of bug that breaks prefix-freeness).
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    out.push(rest === 0 ? low : low | 0x80);
  } while (rest !== 0);
  return Uint8Array.from(out);
}

/** The draft's `prepend_len(data)`: LEB128(len(data)) || data. */
export function prependLen(data: Uint8Array): Uint8Array {
  return concatBytes(leb128(data.length), data);
}

/** The draft's `lv_cat(a0, a1, ...)`: prepend_len(a0) || prepend_len(a1) || ... */
export function lvCat(...fields: Uint8Array[]): Uint8Array {
  return concatBytes(...fields.map(prependLen));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * UTF-8 bytes of a string. Callers validate strings first: a lone surrogate would be replaced
 * by U+FFFD here, which would let two different strings share one encoding.
 */
export function utf8(text: string): Uint8Array {
  return textEncoder.encode(text);
}

/**
 * A real copy as a plain Uint8Array. Not `.slice()`: on a Buffer (what gRPC hands us) that
 * returns a view of the same memory, so the caller could still change what we hold.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(bytes);
}

/**
 * Constant-time equality for MACs and other values derived from secrets. The length check
 * comes first because timingSafeEqual throws on different lengths; lengths are public.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Best-effort wipe of secret material we own; JavaScript gives no stronger guarantee. */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const buffer of buffers) buffer?.fill(0);
}
