import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { generateNodeIdentityKeys, signTranscript, verifyTranscriptSignature } from '../../src/pairing/index.js';
import { expectPalyraError, flipBit } from './helpers.js';

const transcriptHash = sha512(new TextEncoder().encode('a transcript'));

describe('node identity keys', () => {
  it('generates matching 32-byte Ed25519 and X25519 key pairs', () => {
    const keys = generateNodeIdentityKeys();
    for (const pair of [keys.ed25519, keys.x25519]) {
      expect(pair.privateKey.length).toBe(32);
      expect(pair.publicKey.length).toBe(32);
    }
    expect(ed25519.getPublicKey(keys.ed25519.privateKey)).toEqual(keys.ed25519.publicKey);
    expect(x25519.getPublicKey(keys.x25519.privateKey)).toEqual(keys.x25519.publicKey);
    expect(generateNodeIdentityKeys().ed25519.privateKey).not.toEqual(keys.ed25519.privateKey);
  });
});

describe('transcript signatures', () => {
  const keys = generateNodeIdentityKeys();
  const signature = signTranscript(transcriptHash, keys.ed25519.privateKey);

  it('verify under the signing key', () => {
    expect(signature.length).toBe(64);
    expect(verifyTranscriptSignature(transcriptHash, signature, keys.ed25519.publicKey)).toBe(true);
  });

  it('fail for another transcript, another key, or a changed signature', () => {
    expect(verifyTranscriptSignature(flipBit(transcriptHash), signature, keys.ed25519.publicKey)).toBe(false);
    expect(verifyTranscriptSignature(transcriptHash, signature, generateNodeIdentityKeys().ed25519.publicKey)).toBe(false);
    expect(verifyTranscriptSignature(transcriptHash, flipBit(signature, 40), keys.ed25519.publicKey)).toBe(false);
  });

  it('are domain-separated: a plain signature over the hash does not verify', () => {
    const plain = ed25519.sign(transcriptHash, keys.ed25519.privateKey);
    expect(verifyTranscriptSignature(transcriptHash, plain, keys.ed25519.publicKey)).toBe(false);
  });

  it('return false, not throw, for malformed signatures and keys', () => {
    expect(verifyTranscriptSignature(transcriptHash, signature.subarray(0, 63), keys.ed25519.publicKey)).toBe(false);
    expect(verifyTranscriptSignature(transcriptHash, signature, keys.ed25519.publicKey.subarray(1))).toBe(false);
    expect(verifyTranscriptSignature(transcriptHash, 'sig' as never, keys.ed25519.publicKey)).toBe(false);
    expect(verifyTranscriptSignature(transcriptHash, signature, new Uint8Array(32).fill(0xff))).toBe(false);
  });

  it('refuse small-order public keys (whose "signatures" anyone can make)', () => {
    const identity = new Uint8Array(32);
    identity[0] = 1; // the neutral element
    // R = identity, S = 0 satisfies the cofactorless equation for any message under A = identity.
    const forged = new Uint8Array(64);
    forged.set(identity, 0);
    expect(verifyTranscriptSignature(transcriptHash, forged, identity)).toBe(false);
  });

  it('reject a transcript hash of the wrong size as a caller bug', () => {
    expectPalyraError(() => signTranscript(new Uint8Array(32), keys.ed25519.privateKey), 'PALYRA_E_INVALID_ARGUMENT');
    expectPalyraError(
      () => verifyTranscriptSignature(new Uint8Array(32), signature, keys.ed25519.publicKey),
      'PALYRA_E_INVALID_ARGUMENT',
    );
    expectPalyraError(() => signTranscript(transcriptHash, new Uint8Array(64)), 'PALYRA_E_INVALID_ARGUMENT');
  });
});
