/**
 * CPace, cipher suite CPACE-X25519-SHA512, as specified in draft-irtf-cfrg-cpace-21
 * (sections 7 and 8.2, appendix A), initiator-responder setting.
 *
 * Only the primitives live here (generator, scalars, shares, ISK). The pairing state machines
 * in PairingInitiator / PairingResponder decide what goes into PRS, CI, sid, ADa and ADb, and
 * add explicit key confirmation on top (the draft leaves that to the application, 10.4).
 *
 * The map to the curve comes from @noble/curves (the RFC 9380 Elligator 2 map); the X25519
 * scalar multiplications run in node:crypto (OpenSSL), which gives the same RFC 7748 results
 * several times faster (see nativeCurves.ts). test/pairing/cpace.test.ts checks every step
 * against the draft's appendix B.1 vectors.
 */
import { randomFillSync } from 'node:crypto';
import { ed25519, _map_to_curve_elligator2_curve25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { PalyraError } from '../errors/index.js';
import { concatBytes, lvCat, prependLen, utf8, wipe } from './encoding.js';
import { x25519Native } from './nativeCurves.js';

/** G_X25519.DSI */
export const CPACE_X25519_DSI: Uint8Array = utf8('CPace255');
/** H.s_in_bytes for SHA-512: the input block size the generator string zero-pads to. */
export const CPACE_SHA512_BLOCK_BYTES = 128;
/** G_X25519.field_size_bytes: shares, scalars and K are this long. */
export const CPACE_X25519_FIELD_BYTES = 32;

const FIELD_BITS = 255;
const Fp = ed25519.Point.Fp;

/**
 * generator_string(DSI, PRS, CI, sid, s_in_bytes) =
 *   lv_cat(DSI, PRS, zero_bytes(len_zpad), CI, sid)
 * The zero padding makes DSI and PRS fill the whole first hash block, so the work done on the
 * password-dependent block does not depend on the password length (draft 8.1).
 */
export function generatorString(
  dsi: Uint8Array,
  prs: Uint8Array,
  ci: Uint8Array,
  sid: Uint8Array,
  sInBytes: number,
): Uint8Array {
  const lenZpad = Math.max(0, sInBytes - 1 - prependLen(prs).length - prependLen(dsi).length);
  return lvCat(dsi, prs, new Uint8Array(lenZpad), ci, sid);
}

/** RFC 7748 decodeUCoordinate for 255 bits: little-endian, bit #255 ignored, not reduced. */
export function decodeUCoordinate(bytes: Uint8Array): bigint {
  if (bytes.length !== CPACE_X25519_FIELD_BYTES) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `a u-coordinate must be ${CPACE_X25519_FIELD_BYTES} bytes`);
  }
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i] ?? 0);
  return value & ((1n << BigInt(FIELD_BITS)) - 1n);
}

/** RFC 7748 encodeUCoordinate: the canonical (reduced) value, 32 bytes little-endian. */
export function encodeUCoordinate(u: bigint): Uint8Array {
  let rest = Fp.create(u);
  const out = new Uint8Array(CPACE_X25519_FIELD_BYTES);
  for (let i = 0; i < out.length; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/**
 * map_to_curve_elligator2 for Curve25519 (RFC 9380 6.7.1, Z = 2), keeping only the u
 * coordinate as the draft asks (8.2). noble returns the RFC's fractional form xn / xd.
 */
export function mapToCurveElligator2(u: bigint): Uint8Array {
  // decodeUCoordinate may yield 2^255-19 .. 2^255-1; the map works on field elements.
  const { xMn, xMd } = _map_to_curve_elligator2_curve25519(Fp.create(u));
  return encodeUCoordinate(Fp.mul(xMn, Fp.inv(xMd)));
}

/**
 * G_X25519.calculate_generator(H, PRS, CI, sid): hash the generator string to 32 bytes,
 * decode it as a u-coordinate and map it onto the curve. The result is secret: anyone who
 * learns it can test PIN guesses offline, so callers keep it no longer than needed.
 */
export function calculateGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const genStr = generatorString(CPACE_X25519_DSI, prs, ci, sid, CPACE_SHA512_BLOCK_BYTES);
  const digest = sha512(genStr);
  try {
    return mapToCurveElligator2(decodeUCoordinate(digest.subarray(0, CPACE_X25519_FIELD_BYTES)));
  } finally {
    // genStr holds the PRS itself and the digest determines the generator.
    wipe(genStr, digest);
  }
}

/** G_X25519.sample_scalar(): 32 uniformly random bytes; X25519 clamps them when used. */
export function sampleScalar(): Uint8Array {
  return randomFillSync(new Uint8Array(CPACE_X25519_FIELD_BYTES));
}

/** G_X25519.I, the neutral element: 32 zero bytes. */
export function identityElement(): Uint8Array {
  return new Uint8Array(CPACE_X25519_FIELD_BYTES);
}

/** True if `point` is G.I. Accumulates over all bytes instead of returning early. */
export function isIdentity(point: Uint8Array): boolean {
  let acc = 0;
  for (const byte of point) acc |= byte;
  return acc === 0;
}

/**
 * G_X25519.scalar_mult_vfy(y, X) = X25519(y, X), returning G.I whenever the result is the
 * neutral element. The all-zero X25519 output happens exactly for the low-order u-coordinates
 * (on the curve and on the twist, after clearing bit #255 and reducing mod p); OpenSSL refuses
 * to return it, and that refusal is mapped back to G.I so the function has the draft's contract
 * and callers have a single abort condition to check.
 */
export function scalarMultVfy(y: Uint8Array, point: Uint8Array): Uint8Array {
  if (y.length !== CPACE_X25519_FIELD_BYTES || point.length !== CPACE_X25519_FIELD_BYTES) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `CPace scalars and points must be ${CPACE_X25519_FIELD_BYTES} bytes`);
  }
  return x25519Native(y, point) ?? identityElement();
}

/**
 * G_X25519.scalar_mult(y, g): the same function as scalar_mult_vfy for this group. Used for our
 * own share, where an identity result can only mean a broken generator, so it throws.
 */
export function scalarMult(y: Uint8Array, generator: Uint8Array): Uint8Array {
  const share = scalarMultVfy(y, generator);
  if (isIdentity(share)) {
    throw new PalyraError('PALYRA_E_INTERNAL', 'the CPace generator is degenerate');
  }
  return share;
}

/** transcript_ir(Ya, ADa, Yb, ADb) = lv_cat(Ya, ADa) || lv_cat(Yb, ADb) (initiator-responder). */
export function transcriptIr(ya: Uint8Array, ada: Uint8Array, yb: Uint8Array, adb: Uint8Array): Uint8Array {
  return concatBytes(lvCat(ya, ada), lvCat(yb, adb));
}

/**
 * ISK = H.hash(lv_cat(G.DSI || b"_ISK", sid, K) || transcript_ir(Ya, ADa, Yb, ADb)).
 * The caller MUST have checked that K is not G.I (draft 7.2) and MUST NOT expose K (10.3).
 */
export function deriveIsk(
  sid: Uint8Array,
  k: Uint8Array,
  share: { ya: Uint8Array; ada: Uint8Array; yb: Uint8Array; adb: Uint8Array },
): Uint8Array {
  const dsiIsk = concatBytes(CPACE_X25519_DSI, utf8('_ISK'));
  return sha512(concatBytes(lvCat(dsiIsk, sid, k), transcriptIr(share.ya, share.ada, share.yb, share.adb)));
}
