import { PalyraError } from '../errors/index.js';

/** What a QR pairing code carries. */
export interface QrPairingPayload {
  /** Daemon HOST:PORT. */
  daemon: string;
  /** SHA-256 of the daemon's CA certificate (hex): the node pins it. */
  caFingerprint: string;
  /** Which QR code this is (not secret). */
  codeId: string;
  /** 128-bit single-use secret. */
  token: Uint8Array;
}

const SCHEME = 'palyra:';

/** `palyra://pair?v=1&daemon=HOST:PORT&ca=<sha256>&id=<codeId>&token=<base64url>` */
export function formatQrUri(payload: QrPairingPayload): string {
  const params = new URLSearchParams({
    v: '1',
    daemon: payload.daemon,
    ca: payload.caFingerprint,
    id: payload.codeId,
    token: Buffer.from(payload.token).toString('base64url'),
  });
  return `palyra://pair?${params.toString()}`;
}

export function parseQrUri(uri: string): QrPairingPayload {
  const invalid = (what: string): PalyraError =>
    new PalyraError('PALYRA_E_USAGE', `the QR payload is not a Palyra pairing URI (${what}): copy it whole from palyrad pairing code --method qr`);
  let url: URL;
  try {
    url = new URL(uri.trim());
  } catch {
    throw invalid('not a URI');
  }
  if (url.protocol !== SCHEME || url.hostname !== 'pair') throw invalid('expected palyra://pair');
  if (url.searchParams.get('v') !== '1') throw invalid('unknown version');
  const daemon = url.searchParams.get('daemon') ?? '';
  const caFingerprint = (url.searchParams.get('ca') ?? '').toLowerCase();
  const codeId = url.searchParams.get('id') ?? '';
  const token = Buffer.from(url.searchParams.get('token') ?? '', 'base64url');
  if (daemon === '') throw invalid('no daemon address');
  if (!/^[0-9a-f]{64}$/.test(caFingerprint)) throw invalid('no CA fingerprint');
  if (!/^[A-Za-z0-9-]{1,64}$/.test(codeId)) throw invalid('no code id');
  if (token.length !== 16) throw invalid('the token is not 128 bits');
  return { daemon, caFingerprint, codeId, token };
}
