/**
 * X25519 and Ed25519 through node:crypto (OpenSSL) on raw 32-byte keys.
 *
 * Why: the pure-JS ladder and Ed25519 of @noble/curves cost 1.5-2 ms each on the daemon's
 * main thread, several times per pairing; OpenSSL does the same operations in a fraction of
 * that. Only the operations whose results are identical are done here (test/pairing/
 * nativeCurves.test.ts compares them with noble, and the CPace draft vectors run through them):
 *
 * - X25519 is RFC 7748 in both: the scalar is clamped, bit #255 of the u-coordinate is ignored
 *   and non-canonical u are reduced. OpenSSL refuses an all-zero result (the low-order inputs),
 *   which we report as `undefined` so callers keep a single abort condition.
 * - Ed25519 signing is deterministic (RFC 8032): the same seed and message give the same bytes.
 * - Ed25519 verification in OpenSSL checks S < L and compares the encoding of [S]B - [k]A with R
 *   byte for byte (the cofactorless equation). That accepts a subset of what noble's strict mode
 *   accepts: every signature an honest signer makes, but not an R carrying a small-order
 *   component (noble's cofactored check lets that through). Stricter, never looser.
 *
 * Keys are imported as JWK because OpenSSL 3's DER decoders are slow (~1 ms for a PKCS#8 key
 * on these machines against ~0.05 ms for a JWK). Node builds an OKP private key from `d` alone
 * (`x` must be a string but is not read), so no public key has to be computed first.
 */
import { createPrivateKey, createPublicKey, diffieHellman, sign, verify, type KeyObject } from 'node:crypto';

type OkpCurve = 'X25519' | 'Ed25519';

function base64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function privateKeyOf(curve: OkpCurve, secret: Uint8Array): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: curve, d: base64Url(secret), x: '' }, format: 'jwk' });
}

function publicKeyOf(curve: OkpCurve, publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: curve, x: base64Url(publicKey) }, format: 'jwk' });
}

function publicKeyBytes(privateKey: KeyObject): Uint8Array {
  return Uint8Array.from(Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x ?? '', 'base64url'));
}

function toBytes(buffer: Buffer): Uint8Array {
  const out = Uint8Array.from(buffer);
  buffer.fill(0);
  return out;
}

/**
 * X25519(scalar, u) (RFC 7748), or undefined when the result is the all-zero value, i.e. `u`
 * is one of the low-order points. Both inputs must be 32 bytes (checked by the callers).
 */
export function x25519Native(scalar: Uint8Array, uCoordinate: Uint8Array): Uint8Array | undefined {
  // Import outside the try: a key that cannot be imported is a bug here, not a peer's low-order point.
  const privateKey = privateKeyOf('X25519', scalar);
  const publicKey = publicKeyOf('X25519', uCoordinate);
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch {
    // OpenSSL's only refusal for well-formed keys: the all-zero result.
    return undefined;
  }
  const out = toBytes(shared);
  return out.every((byte) => byte === 0) ? undefined : out;
}

/** The X25519 public key (u-coordinate of scalar * 9) of a 32-byte scalar. */
export function x25519PublicKeyNative(scalar: Uint8Array): Uint8Array {
  return publicKeyBytes(privateKeyOf('X25519', scalar));
}

/** RFC 8032 Ed25519 signature of `message` with a 32-byte seed. */
export function ed25519SignNative(message: Uint8Array, seed: Uint8Array): Uint8Array {
  return toBytes(sign(null, message, privateKeyOf('Ed25519', seed)));
}

/** The Ed25519 public key of a 32-byte seed. */
export function ed25519PublicKeyNative(seed: Uint8Array): Uint8Array {
  return publicKeyBytes(privateKeyOf('Ed25519', seed));
}

/**
 * Ed25519 verification (see the header: OpenSSL's cofactorless check). False for anything
 * OpenSSL refuses, including a public key it cannot decode. Callers that rely on the key being
 * of prime order must check that themselves (validate.ts isUsableEd25519PublicKey).
 */
export function ed25519VerifyNative(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return verify(null, message, publicKeyOf('Ed25519', publicKey), signature);
  } catch {
    return false;
  }
}
