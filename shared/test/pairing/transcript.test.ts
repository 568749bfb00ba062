import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { leb128 } from '../../src/pairing/encoding.js';
import { encodeTranscript, hashTranscript, type TranscriptFields } from '../../src/pairing/transcript.js';
import { makeClaims } from './helpers.js';

function fields(overrides: Partial<TranscriptFields> = {}): TranscriptFields {
  return {
    method: 'pin',
    sid: new Uint8Array(16).fill(1),
    nodeNonce: new Uint8Array(32).fill(2),
    daemonNonce: new Uint8Array(32).fill(3),
    caFingerprint: new Uint8Array(32).fill(4),
    serverCertFingerprint: new Uint8Array(32).fill(5),
    ya: new Uint8Array(32).fill(6),
    yb: new Uint8Array(32).fill(7),
    claims: makeClaims(),
    ...overrides,
  };
}

describe('transcript encoding', () => {
  it('hashes to 64 bytes and is deterministic', () => {
    const f = fields();
    expect(hashTranscript(f).length).toBe(64);
    expect(bytesToHex(hashTranscript(f))).toBe(bytesToHex(hashTranscript({ ...f })));
  });

  it('keeps field boundaries: moving bytes between adjacent fields changes the encoding', () => {
    const base = fields();
    const a = { ...base, claims: { ...base.claims, name: 'ab', platform: 'c' } };
    const b = { ...base, claims: { ...base.claims, name: 'a', platform: 'bc' } };
    expect(bytesToHex(encodeTranscript(a))).not.toBe(bytesToHex(encodeTranscript(b)));
  });

  it('counts capabilities: a joined entry, two entries and no entries all differ', () => {
    const base = fields();
    const joined = { ...base, claims: { ...base.claims, capabilities: ['fs.readfs.write'] } };
    const split = { ...base, claims: { ...base.claims, capabilities: ['fs.read', 'fs.write'] } };
    const none = { ...base, claims: { ...base.claims, capabilities: [] } };
    const encodings = new Set([joined, split, none].map((f) => bytesToHex(encodeTranscript(f))));
    expect(encodings.size).toBe(3);
  });

  it('swapping the two nonces or the two shares changes the hash (roles are fixed)', () => {
    const f = fields();
    const swappedNonces = fields({ nodeNonce: f.daemonNonce, daemonNonce: f.nodeNonce });
    const swappedShares = fields({ ya: f.yb, yb: f.ya, claims: f.claims });
    const h = bytesToHex(hashTranscript({ ...f }));
    expect(bytesToHex(hashTranscript({ ...swappedNonces, claims: f.claims }))).not.toBe(h);
    expect(bytesToHex(hashTranscript(swappedShares))).not.toBe(h);
  });
});

describe('leb128', () => {
  it('encodes multi-byte lengths like the draft prepend_len', () => {
    expect(bytesToHex(leb128(0))).toBe('00');
    expect(bytesToHex(leb128(127))).toBe('7f');
    expect(bytesToHex(leb128(128))).toBe('8001');
    expect(bytesToHex(leb128(300))).toBe('ac02');
    expect(bytesToHex(leb128(16384))).toBe('808001');
  });
});
