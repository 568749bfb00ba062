import { randomBytes } from 'node:crypto';
import { ED25519_TORSION_SUBGROUP, ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  ed25519PublicKeyNative,
  ed25519SignNative,
  ed25519VerifyNative,
  x25519Native,
  x25519PublicKeyNative,
} from '../../src/pairing/nativeCurves.js';
import { isUsableX25519PublicKey } from '../../src/pairing/validate.js';
import { x25519LowOrder } from './fixtures/cpace-x25519-sha512.js';

// node:crypto (OpenSSL) stands in for @noble/curves in the pairing's hot path: these tests
// show both give the same outputs, and where they may differ, that OpenSSL is the stricter.

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function littleEndian(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

function nobleX25519(scalar: Uint8Array, u: Uint8Array): Uint8Array | undefined {
  try {
    return x25519.scalarMult(scalar, u);
  } catch {
    return undefined; // noble refuses the low-order points
  }
}

describe('X25519: node:crypto and noble agree', () => {
  it('on random scalars and u-coordinates, with and without bit #255 set', () => {
    for (let i = 0; i < 64; i++) {
      const scalar = randomBytes(32);
      const u = randomBytes(32);
      if (i % 2 === 0) u[31] = (u[31] ?? 0) | 0x80;
      expect(bytesToHex(x25519Native(scalar, u) ?? new Uint8Array())).toBe(bytesToHex(nobleX25519(scalar, u) ?? new Uint8Array()));
    }
  });

  it('on non-canonical u-coordinates (p .. 2^255-1), reduced mod p by both', () => {
    for (let offset = 0n; offset < 19n; offset++) {
      const u = littleEndian(P + offset);
      const scalar = randomBytes(32);
      expect(x25519Native(scalar, u)).toEqual(nobleX25519(scalar, u));
    }
  });

  it('on the low-order points of the draft vectors: both refuse exactly the same inputs', () => {
    const s = hexToBytes(x25519LowOrder.s);
    for (const c of x25519LowOrder.cases) {
      const native = x25519Native(s, hexToBytes(c.u));
      expect(native === undefined, c.name).toBe(c.abort);
      expect(native, c.name).toEqual(nobleX25519(s, hexToBytes(c.u)));
      if (!c.abort) expect(bytesToHex(native ?? new Uint8Array()), c.name).toBe(c.q);
      expect(isUsableX25519PublicKey(hexToBytes(c.u)), c.name).toBe(!c.abort);
    }
  });

  it('derive the same public key', () => {
    for (let i = 0; i < 16; i++) {
      const scalar = randomBytes(32);
      expect(x25519PublicKeyNative(scalar)).toEqual(x25519.getPublicKey(scalar));
    }
  });
});

describe('Ed25519: node:crypto and noble agree', () => {
  it('on public keys and (deterministic) signatures', () => {
    for (let i = 0; i < 16; i++) {
      const seed = randomBytes(32);
      const message = randomBytes(i * 7);
      expect(ed25519PublicKeyNative(seed)).toEqual(ed25519.getPublicKey(seed));
      expect(ed25519SignNative(message, seed)).toEqual(ed25519.sign(message, seed));
    }
  });

  it('on valid and tampered signatures', () => {
    const seed = randomBytes(32);
    const publicKey = ed25519.getPublicKey(seed);
    const message = randomBytes(64);
    const signature = ed25519.sign(message, seed);
    const cases: [string, Uint8Array, Uint8Array, Uint8Array][] = [['valid', signature, message, publicKey]];
    for (const bit of [0, 100, 255, 256, 300, 511]) {
      const flipped = Uint8Array.from(signature);
      flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      cases.push([`signature bit ${bit}`, flipped, message, publicKey]);
    }
    cases.push(['other message', signature, randomBytes(64), publicKey]);
    cases.push(['other key', signature, message, ed25519.getPublicKey(randomBytes(32))]);
    // S + L: the same scalar, not in canonical form. Strict RFC 8032 refuses it (malleability).
    const s = BigInt(`0x${bytesToHex(signature.slice(32).reverse())}`);
    cases.push(['S + L', Uint8Array.from([...signature.slice(0, 32), ...littleEndian(s + L)]), message, publicKey]);
    for (const [name, sig, msg, key] of cases) {
      expect(ed25519VerifyNative(sig, msg, key), name).toBe(ed25519.verify(sig, msg, key, { zip215: false }));
    }
    expect(ed25519VerifyNative(signature, message, publicKey)).toBe(true);
  });

  it('node:crypto is the stricter where they differ: R with a small-order component fails', () => {
    // A signer who knows the key can add an order-8 point T to R and still satisfy noble's
    // cofactored equation 8(SB - R - kA) = 0; OpenSSL's cofactorless check refuses it.
    const seed = randomBytes(32);
    const { scalar: a, pointBytes: publicKey } = ed25519.utils.getExtendedPublicKey(seed);
    const message = randomBytes(32);
    const torsion = ed25519.Point.fromHex(ED25519_TORSION_SUBGROUP[1] ?? '');
    const r = BigInt(`0x${bytesToHex(randomBytes(32))}`) % L;
    const rBytes = ed25519.Point.BASE.multiply(r).add(torsion).toBytes();
    const digest = sha512(Uint8Array.from([...rBytes, ...publicKey, ...message]));
    const k = BigInt(`0x${bytesToHex(digest.reverse())}`) % L;
    const signature = Uint8Array.from([...rBytes, ...littleEndian((r + k * a) % L)]);
    expect(ed25519.verify(signature, message, publicKey, { zip215: false })).toBe(true);
    expect(ed25519VerifyNative(signature, message, publicKey)).toBe(false);
  });

  it('returns false, not throws, for keys and signatures of the wrong size', () => {
    expect(ed25519VerifyNative(new Uint8Array(63), new Uint8Array(1), ed25519.getPublicKey(randomBytes(32)))).toBe(false);
    expect(ed25519VerifyNative(new Uint8Array(64), new Uint8Array(1), new Uint8Array(31))).toBe(false);
  });
});
