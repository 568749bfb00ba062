import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { abortable } from './utils.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface TlsKeyPair {
  /** PKCS#8 PEM ("PRIVATE KEY"). */
  privateKeyPem: string;
  /** SubjectPublicKeyInfo PEM ("PUBLIC KEY"). */
  publicKeyPem: string;
}

/**
 * A fresh RSA-2048 key pair for a TLS identity, generated off the event loop. On abort the
 * promise rejects at once with the signal's reason (the native job finishes unobserved).
 */
export async function generateTlsKeyPair(options: { signal?: AbortSignal } = {}): Promise<TlsKeyPair> {
  const { signal } = options;
  signal?.throwIfAborted();
  const { privateKey, publicKey } = await abortable(
    generateKeyPairAsync('rsa', {
      modulusLength: 2048,
      publicExponent: 0x10001,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    }),
    signal,
  );
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}
