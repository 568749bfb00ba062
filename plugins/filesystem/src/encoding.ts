import { PalyraError } from '@palyra/shared/errors';

export type ContentEncoding = 'utf8' | 'base64';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Encodes bytes read from a file. UTF-8 is returned as text only when the bytes are valid
 * UTF-8 (a BOM is kept); anything else comes back as base64, and the encoding says so.
 */
export function encodeContent(bytes: Uint8Array, requested: ContentEncoding): { encoding: ContentEncoding; content: string } {
  if (requested === 'utf8') {
    try {
      return { encoding: 'utf8', content: strictUtf8.decode(bytes) };
    } catch {
      // Not UTF-8: fall through to base64.
    }
  }
  return { encoding: 'base64', content: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
}

/** The byte length `content` decodes to, without decoding it. */
export function decodedLength(content: string, encoding: ContentEncoding): number {
  return Buffer.byteLength(content, encoding);
}

/**
 * Decodes content to write. Base64 must be canonical (RFC 4648, padded, no whitespace):
 * Buffer.from silently skips characters it does not know, so the result is re-encoded and
 * compared.
 */
export function decodeContent(content: string, encoding: ContentEncoding): Buffer {
  const bytes = Buffer.from(content, encoding);
  if (encoding === 'base64' && bytes.toString('base64') !== content) {
    throw new PalyraError('PALYRA_E_INPUT_INVALID', 'content is not valid base64 (RFC 4648, padded, no whitespace)');
  }
  return bytes;
}
