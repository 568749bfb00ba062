import { createHash } from 'node:crypto';
import { PalyraError } from '../errors/index.js';

/** SHA-256 of the DER bytes, lowercase hex (64 chars). Used as the certificate fingerprint. */
export function fingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * Normalizes a SHA-256 fingerprint given on the command line: 64 hex digits, with or without
 * colons, any case, optionally prefixed `sha256:`. Returns lowercase hex.
 */
export function parseSha256Fingerprint(text: string, what = '--pin-server-fingerprint'): string {
  const hex = text.trim().replace(/^sha256:/i, '').replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new PalyraError('PALYRA_E_USAGE', `${what} must be a SHA-256 fingerprint (64 hex digits, colons allowed), got "${text}"`);
  }
  return hex;
}

const PEM_LABEL = /^[A-Z0-9][A-Z0-9 ]*$/;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;
const BEGIN = '-----BEGIN ';
const END = '-----END ';
const DASHES = '-----';

function malformed(message: string): PalyraError {
  return new PalyraError('PALYRA_E_INVALID_ARGUMENT', `malformed PEM: ${message}`);
}

/**
 * Decodes the first PEM block (RFC 7468) whose label is `label` (any label when omitted).
 * Rejects encapsulated headers (legacy encrypted keys), bad base64 and mismatched END lines.
 * Runs in linear time whatever the input.
 */
export function pemToDer(pem: string, label?: string): Buffer {
  if (typeof pem !== 'string') {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'expected a PEM string');
  }
  let position = 0;
  for (;;) {
    const begin = pem.indexOf(BEGIN, position);
    if (begin === -1) break;
    const labelEnd = pem.indexOf(DASHES, begin + BEGIN.length);
    if (labelEnd === -1) break;
    const beginLabel = pem.slice(begin + BEGIN.length, labelEnd);
    if (!PEM_LABEL.test(beginLabel)) {
      // Not a BEGIN line after all ("-----BEGIN " inside other text): look further on.
      position = labelEnd;
      continue;
    }
    const end = pem.indexOf(END, labelEnd + DASHES.length);
    if (end === -1) break;
    const endLabelEnd = pem.indexOf(DASHES, end + END.length);
    if (endLabelEnd === -1) break;
    const endLabel = pem.slice(end + END.length, endLabelEnd);
    position = endLabelEnd + DASHES.length;
    if (label !== undefined && beginLabel !== label) continue;
    if (beginLabel !== endLabel) throw malformed(`"BEGIN ${beginLabel}" is closed by "END ${endLabel}"`);
    const body = pem.slice(labelEnd + DASHES.length, end);
    if (body.includes(':')) throw malformed(`block "${beginLabel}" has headers (encrypted keys are not supported)`);
    const base64 = body.replace(/\s+/g, '');
    if (base64.length === 0 || base64.length % 4 !== 0 || !BASE64_BODY.test(base64)) {
      throw malformed(`block "${beginLabel}" is not valid base64`);
    }
    return Buffer.from(base64, 'base64');
  }
  throw new PalyraError(
    'PALYRA_E_INVALID_ARGUMENT',
    label === undefined ? 'no PEM block found' : `no "-----BEGIN ${label}-----" PEM block found`,
  );
}

/** Encodes DER bytes as one PEM block with 64-character lines and a trailing newline. */
export function derToPem(der: Uint8Array, label: string): string {
  if (!PEM_LABEL.test(label)) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `invalid PEM label "${label}"`);
  }
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
