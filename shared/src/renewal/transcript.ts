/**
 * The renewal transcript: what a node signs with its registered Ed25519 identity key to renew
 * its certificate (RenewCertificate in node.proto). It binds the daemon's single-use nonce,
 * the device id, the CSR and the fingerprint of the certificate the node holds, so that a
 * signature is good for exactly one renewal of one node from one certificate: replayed on
 * another stream (another nonce), for another device, with another CSR or from another
 * certificate, it fails.
 *
 * Domain separation: the signed message starts with RENEWAL_SIGNATURE_CONTEXT and the
 * transcript with its own label, both distinct from the pairing protocol's, so a pairing
 * signature can never pass as a renewal signature or the reverse. Fields are lv_cat encoded
 * (length-prefixed), so no two different field lists share an encoding.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { PalyraError } from '../errors/index.js';
import { lvCat, utf8 } from '../pairing/encoding.js';
import { ed25519SignNative, ed25519VerifyNative } from '../pairing/nativeCurves.js';
import { PAIRING_LIMITS } from '../pairing/types.js';
import { isUsableEd25519PublicKey } from '../pairing/validate.js';

export const RENEWAL_PROTOCOL = 'palyra-renewal-v1';
export const RENEWAL_SIGNATURE_CONTEXT = `${RENEWAL_PROTOCOL} node-signature`;
/** Bytes of the daemon's challenge nonce. */
export const RENEWAL_NONCE_BYTES = 32;

export interface RenewalTranscriptFields {
  /** The daemon's challenge on this stream. */
  nonce: Uint8Array;
  deviceId: string;
  /** PKCS#10 DER of the CSR for the new TLS key. */
  csrDer: Uint8Array;
  /** SHA-256 (lowercase hex) of the certificate the node holds now. */
  currentCertFingerprint: string;
}

/** The unambiguous byte encoding of a renewal transcript. */
export function encodeRenewalTranscript(fields: RenewalTranscriptFields): Uint8Array {
  if (!(fields.nonce instanceof Uint8Array) || fields.nonce.length !== RENEWAL_NONCE_BYTES) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the renewal nonce must be ${RENEWAL_NONCE_BYTES} bytes`);
  }
  return lvCat(
    utf8(`${RENEWAL_PROTOCOL} transcript`),
    fields.nonce,
    utf8(fields.deviceId),
    fields.csrDer,
    utf8(fields.currentCertFingerprint),
  );
}

function signedMessage(fields: RenewalTranscriptFields): Uint8Array {
  return lvCat(utf8(RENEWAL_SIGNATURE_CONTEXT), sha512(encodeRenewalTranscript(fields)));
}

/** The node's Ed25519 signature over the renewal transcript (`ed25519PrivateKey`: the 32-byte seed). */
export function signRenewal(fields: RenewalTranscriptFields, ed25519PrivateKey: Uint8Array): Uint8Array {
  if (!(ed25519PrivateKey instanceof Uint8Array) || ed25519PrivateKey.length !== PAIRING_LIMITS.privateKeyBytes) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the Ed25519 private key must be ${PAIRING_LIMITS.privateKeyBytes} bytes`);
  }
  return ed25519SignNative(signedMessage(fields), ed25519PrivateKey);
}

/**
 * Strict verification of a renewal signature by the node's registered key. Returns false for
 * anything malformed (a wrong-size signature or key, a small-order key, a bad nonce) instead of
 * throwing: everything here comes from a peer.
 */
export function verifyRenewal(fields: RenewalTranscriptFields, signature: Uint8Array, ed25519PublicKey: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== PAIRING_LIMITS.signatureBytes) return false;
  if (!(ed25519PublicKey instanceof Uint8Array) || ed25519PublicKey.length !== PAIRING_LIMITS.publicKeyBytes) return false;
  if (!isUsableEd25519PublicKey(ed25519PublicKey)) return false;
  if (!(fields.nonce instanceof Uint8Array) || fields.nonce.length !== RENEWAL_NONCE_BYTES) return false;
  return ed25519VerifyNative(signature, signedMessage(fields), ed25519PublicKey);
}
