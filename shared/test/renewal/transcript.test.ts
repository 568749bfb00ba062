import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateNodeIdentityKeys, signTranscript } from '../../src/pairing/index.js';
import { encodeRenewalTranscript, signRenewal, verifyRenewal, type RenewalTranscriptFields } from '../../src/renewal/index.js';

const keys = generateNodeIdentityKeys();
const fields: RenewalTranscriptFields = {
  nonce: randomBytes(32),
  deviceId: '01HZY3J7Q4T5V6W7X8Y9Z0ABCD',
  csrDer: randomBytes(300),
  currentCertFingerprint: 'a'.repeat(64),
};

describe('renewal transcript', () => {
  it('verifies a signature by the identity key over exactly these fields', () => {
    const signature = signRenewal(fields, keys.ed25519.privateKey);
    expect(verifyRenewal(fields, signature, keys.ed25519.publicKey)).toBe(true);
  });

  it('refuses the signature for another nonce, device, CSR, fingerprint or key', () => {
    const signature = signRenewal(fields, keys.ed25519.privateKey);
    expect(verifyRenewal({ ...fields, nonce: randomBytes(32) }, signature, keys.ed25519.publicKey)).toBe(false);
    expect(verifyRenewal({ ...fields, deviceId: '01HZY3J7Q4T5V6W7X8Y9Z0ABCE' }, signature, keys.ed25519.publicKey)).toBe(false);
    expect(verifyRenewal({ ...fields, csrDer: randomBytes(300) }, signature, keys.ed25519.publicKey)).toBe(false);
    expect(verifyRenewal({ ...fields, currentCertFingerprint: 'b'.repeat(64) }, signature, keys.ed25519.publicKey)).toBe(false);
    expect(verifyRenewal(fields, signature, generateNodeIdentityKeys().ed25519.publicKey)).toBe(false);
  });

  it('never accepts a pairing signature as a renewal signature (domain separation)', () => {
    const hash = new Uint8Array(64);
    const pairing = signTranscript(hash, keys.ed25519.privateKey);
    expect(verifyRenewal(fields, pairing, keys.ed25519.publicKey)).toBe(false);
  });

  it('returns false, never throws, on malformed peer input', () => {
    expect(verifyRenewal(fields, new Uint8Array(3), keys.ed25519.publicKey)).toBe(false);
    expect(verifyRenewal(fields, new Uint8Array(64), new Uint8Array(5))).toBe(false);
    expect(verifyRenewal({ ...fields, nonce: new Uint8Array(4) }, new Uint8Array(64), keys.ed25519.publicKey)).toBe(false);
    expect(() => encodeRenewalTranscript({ ...fields, nonce: new Uint8Array(4) })).toThrow(/32 bytes/);
  });
});
