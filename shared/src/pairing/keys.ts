/**
 * The node's long-term identity keys and the transcript signature made with them.
 *
 * The Ed25519 key identifies the node (it signs the pairing transcript and, later, renewals);
 * the X25519 key is for key agreement. Both private keys stay on the node: the daemon only
 * ever sees the public halves, inside the signed transcript and the CSR.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { PalyraError } from '../errors/index.js';
import { lvCat, utf8 } from './encoding.js';
import { ed25519PublicKeyNative, ed25519SignNative, ed25519VerifyNative } from './nativeCurves.js';
import { PAIRING_LIMITS, PAIRING_PROTOCOL } from './types.js';
import { assertBytes, isUsableEd25519PublicKey } from './validate.js';

export interface KeyPair {
  /** Ed25519: the 32-byte RFC 8032 seed. X25519: the 32-byte scalar. */
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export interface NodeIdentityKeys {
  ed25519: KeyPair;
  x25519: KeyPair;
}

/**
 * Prefix of every message the node signs during pairing, so a pairing signature can never be
 * replayed as a signature for another purpose of the same key (renewal, for instance).
 */
export const NODE_SIGNATURE_CONTEXT = `${PAIRING_PROTOCOL} node-signature`;

const TRANSCRIPT_HASH_BYTES = 64;

/** OpenSSL's key generation; JWK `d` is the raw seed (Ed25519) or scalar (X25519), `x` the public key. */
function generateRawKeyPair(type: 'ed25519' | 'x25519'): KeyPair {
  const { privateKey } = type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return { privateKey: Uint8Array.from(Buffer.from(jwk.d ?? '', 'base64url')), publicKey: Uint8Array.from(Buffer.from(jwk.x ?? '', 'base64url')) };
}

export function generateNodeIdentityKeys(): NodeIdentityKeys {
  return { ed25519: generateRawKeyPair('ed25519'), x25519: generateRawKeyPair('x25519') };
}

/**
 * The short form operators compare identity keys by: the first 16 bytes (128 bits: no key can
 * be ground to match another's) of SHA-256 over the raw 32-byte Ed25519 public key, base64url
 * without padding (22 characters).
 */
export function identityKeyFingerprint(ed25519PublicKey: Uint8Array): string {
  return createHash('sha256').update(ed25519PublicKey).digest().subarray(0, 16).toString('base64url');
}

/** The Ed25519 public key of a 32-byte seed. */
export function ed25519PublicKeyOf(privateKey: Uint8Array): Uint8Array {
  assertBytes(privateKey, PAIRING_LIMITS.privateKeyBytes, 'ed25519PrivateKey', 'PALYRA_E_INVALID_ARGUMENT');
  return ed25519PublicKeyNative(privateKey);
}

function signedMessage(transcriptHash: Uint8Array): Uint8Array {
  return lvCat(utf8(NODE_SIGNATURE_CONTEXT), transcriptHash);
}

/** Ed25519 signature over lv_cat(NODE_SIGNATURE_CONTEXT, transcriptHash). */
export function signTranscript(transcriptHash: Uint8Array, ed25519PrivateKey: Uint8Array): Uint8Array {
  assertBytes(transcriptHash, TRANSCRIPT_HASH_BYTES, 'transcriptHash', 'PALYRA_E_INVALID_ARGUMENT');
  assertBytes(ed25519PrivateKey, PAIRING_LIMITS.privateKeyBytes, 'ed25519PrivateKey', 'PALYRA_E_INVALID_ARGUMENT');
  return ed25519SignNative(signedMessage(transcriptHash), ed25519PrivateKey);
}

/**
 * Strict RFC 8032 verification (no ZIP-215 leniency, see nativeCurves.ts) that also refuses
 * small-order and mixed-order public keys. Returns false for anything malformed instead of
 * throwing, so a peer-supplied signature can never turn into an unexpected exception.
 */
export function verifyTranscriptSignature(
  transcriptHash: Uint8Array,
  signature: Uint8Array,
  ed25519PublicKey: Uint8Array,
): boolean {
  assertTranscriptHash(transcriptHash);
  if (!(ed25519PublicKey instanceof Uint8Array) || ed25519PublicKey.length !== PAIRING_LIMITS.publicKeyBytes) return false;
  if (!isUsableEd25519PublicKey(ed25519PublicKey)) return false;
  return verifyTranscriptSignatureOfCheckedKey(transcriptHash, signature, ed25519PublicKey);
}

/**
 * verifyTranscriptSignature for a key that isUsableEd25519PublicKey already accepted (claims
 * from parseNodeClaims): the prime-order check costs as much as the verification itself, so
 * the daemon does it once per pairing. Not exported from the package.
 */
export function verifyTranscriptSignatureOfCheckedKey(
  transcriptHash: Uint8Array,
  signature: Uint8Array,
  ed25519PublicKey: Uint8Array,
): boolean {
  assertTranscriptHash(transcriptHash);
  if (!(signature instanceof Uint8Array) || signature.length !== PAIRING_LIMITS.signatureBytes) return false;
  if (!(ed25519PublicKey instanceof Uint8Array) || ed25519PublicKey.length !== PAIRING_LIMITS.publicKeyBytes) return false;
  return ed25519VerifyNative(signature, signedMessage(transcriptHash), ed25519PublicKey);
}

function assertTranscriptHash(transcriptHash: unknown): void {
  if (!(transcriptHash instanceof Uint8Array) || transcriptHash.length !== TRANSCRIPT_HASH_BYTES) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the transcript hash must be ${TRANSCRIPT_HASH_BYTES} bytes`);
  }
}
