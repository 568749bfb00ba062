import { PalyraError } from '@palyra/shared/errors';

/** At most `maxBytes` of UTF-8, cut on a character boundary. */
export function capUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return { text: bytes.subarray(0, end).toString('utf8'), truncated: true };
}

/** Binary output (screenshot, PDF) as base64, refused over the granted size. */
export function encodeBinary(bytes: Uint8Array, maxBytes: number, what: string): { data: string; bytes: number } {
  if (bytes.length > maxBytes) {
    throw new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `the ${what} is ${bytes.length} bytes, over the ${maxBytes} this node allows (grants.maxOutputBytes)`, {
      details: { bytes: bytes.length, max: maxBytes },
    });
  }
  return { data: Buffer.from(bytes).toString('base64'), bytes: bytes.length };
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (view.length < 24 || view.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG image');
  return { width: view.readUInt32BE(16), height: view.readUInt32BE(20) };
}
