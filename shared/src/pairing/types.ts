/**
 * Names, sizes and limits of pairing protocol version 1 ("palyra-pair/1").
 * Changing any of them changes what both sides hash, so it needs a new protocol id.
 */

/** Protocol id; also the prefix of every domain-separation label in this folder. */
export const PAIRING_PROTOCOL = 'palyra-pair/1';

/** `pin`: CPace keyed by a 6-digit PIN. `qr`: the same exchange keyed by a 128-bit QR token. */
export type PairingMethod = 'pin' | 'qr';

export const PAIRING_METHODS: readonly PairingMethod[] = ['pin', 'qr'];

/** What the node asks the daemon to certify. Every field is bound into the transcript. */
export interface NodeClaims {
  /** ULID, 26 upper-case Crockford base32 characters. */
  deviceId: string;
  name: string;
  platform: string;
  hostname: string;
  agentVersion: string;
  capabilities: string[];
  /** Ed25519 identity public key (32 bytes); also verifies the transcript signature. */
  ed25519PublicKey: Uint8Array;
  /** X25519 public key (32 bytes). */
  x25519PublicKey: Uint8Array;
  /** PKCS#10 certificate signing request, DER. */
  csrDer: Uint8Array;
}

/**
 * Sizes every peer-supplied value is checked against before any crypto touches it, so a
 * malicious or buggy peer gets a clear PALYRA_E_PAIRING_PROTOCOL, never an exception from
 * deep inside a library.
 */
export const PAIRING_LIMITS = {
  nonceBytes: 32,
  shareBytes: 32,
  publicKeyBytes: 32,
  privateKeyBytes: 32,
  /** SHA-256 fingerprints of the CA and TLS server certificates. */
  fingerprintBytes: 32,
  /** HMAC-SHA512 */
  macBytes: 64,
  /** Ed25519 */
  signatureBytes: 64,
  /** The PRS is always a 32-byte derivation (derivePinPrs / deriveQrPrs), never a raw PIN. */
  prsBytes: 32,
  saltMinBytes: 16,
  saltMaxBytes: 64,
  /** QR tokens carry at least 128 bits. */
  qrTokenMinBytes: 16,
  qrTokenMaxBytes: 64,
  certificateMaxBytes: 64 * 1024,
  csrMaxBytes: 16 * 1024,
  /** UTF-16 code units per claim string. */
  stringMaxChars: 256,
  capabilityMaxChars: 128,
  capabilitiesMax: 256,
} as const;
