/**
 * Shape checks for everything that crosses the pairing boundary.
 *
 * Values from the peer are checked with code PALYRA_E_PAIRING_PROTOCOL (the peer broke the
 * protocol); values from our own caller with PALYRA_E_INVALID_ARGUMENT (a bug on this side).
 * Messages name the field and the expected size, never the value: some values are secrets.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { PalyraError, type ErrorCode } from '../errors/index.js';
import { hasUnsafeText } from '../text/index.js';
import { copyBytes } from './encoding.js';
import { x25519Native } from './nativeCurves.js';
import { PAIRING_LIMITS, PAIRING_METHODS, type NodeClaims, type PairingMethod } from './types.js';
import { isValidDeviceId } from '../ids/index.js';

export type ValidationCode = Extract<ErrorCode, 'PALYRA_E_PAIRING_PROTOCOL' | 'PALYRA_E_INVALID_ARGUMENT'>;

export function assertBytes(value: unknown, length: number, field: string, code: ValidationCode): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new PalyraError(code, `pairing field '${field}' must be bytes`);
  if (value.length !== length) {
    throw new PalyraError(code, `pairing field '${field}' must be ${length} bytes, got ${value.length}`);
  }
}

export function assertBytesInRange(
  value: unknown,
  min: number,
  max: number,
  field: string,
  code: ValidationCode,
): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new PalyraError(code, `pairing field '${field}' must be bytes`);
  if (value.length < min || value.length > max) {
    throw new PalyraError(code, `pairing field '${field}' must be ${min} to ${max} bytes, got ${value.length}`);
  }
}

export function assertMethod(value: unknown, code: ValidationCode): asserts value is PairingMethod {
  if (!PAIRING_METHODS.includes(value as PairingMethod)) {
    throw new PalyraError(code, `pairing method must be one of ${PAIRING_METHODS.join(', ')}`);
  }
}

// Claims end up in the operator's approval queue: an ANSI escape or a right-to-left override
// in a device name could make one device look like another (see hasUnsafeText). The same rule
// applies to what a paired node sends later (RegisterNode).

export function assertClaimString(value: unknown, maxChars: number, field: string, code: ValidationCode): asserts value is string {
  if (typeof value !== 'string') throw new PalyraError(code, `claim '${field}' must be a string`);
  if (value.length === 0 || value.length > maxChars) {
    throw new PalyraError(code, `claim '${field}' must be 1 to ${maxChars} characters, got ${value.length}`);
  }
  if (hasUnsafeText(value)) {
    throw new PalyraError(code, `claim '${field}' contains control, format or unpaired surrogate characters`);
  }
}


/**
 * Ed25519 identity keys are what the node later signs renewals with. A small-order or
 * mixed-order point would let anyone produce signatures that verify under it, so such keys
 * are refused here rather than trusted for the lifetime of the registration.
 */
export function isUsableEd25519PublicKey(publicKey: Uint8Array): boolean {
  try {
    const point = ed25519.Point.fromBytes(publicKey, false);
    return !point.isSmallOrder() && point.isTorsionFree();
  } catch {
    return false;
  }
}

// Any scalar works: clamping makes it a multiple of the cofactor 8 and smaller than the
// prime-order subgroups of the curve and the twist, so the result is all-zero exactly for the
// low-order u-coordinates.
const PROBE_SCALAR = new Uint8Array(32).fill(0x5a);

/** An X25519 key must not be one of the low-order u-coordinates (all DH results would be 0). */
export function isUsableX25519PublicKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PAIRING_LIMITS.publicKeyBytes) return false;
  return x25519Native(PROBE_SCALAR, publicKey) !== undefined;
}

/**
 * Checks a complete NodeClaims value, including its runtime types (peer data may be anything),
 * and returns a validated copy. Callers hash the copy, not the input: a getter or a caller
 * mutating the input between validation and use cannot change what gets confirmed.
 */
export function parseNodeClaims(value: unknown, code: ValidationCode): NodeClaims {
  if (typeof value !== 'object' || value === null) throw new PalyraError(code, 'node claims must be an object');
  const source = value as Record<string, unknown>;
  const claims: Record<string, unknown> = {
    deviceId: source.deviceId,
    name: source.name,
    platform: source.platform,
    hostname: source.hostname,
    agentVersion: source.agentVersion,
    capabilities: Array.isArray(source.capabilities) ? [...(source.capabilities as unknown[])] : source.capabilities,
    ed25519PublicKey: copyIfBytes(source.ed25519PublicKey),
    x25519PublicKey: copyIfBytes(source.x25519PublicKey),
    csrDer: copyIfBytes(source.csrDer),
  };

  if (!isValidDeviceId(claims.deviceId)) {
    throw new PalyraError(code, "claim 'deviceId' must be a canonical (upper-case) ULID");
  }
  assertClaimString(claims.name, PAIRING_LIMITS.stringMaxChars, 'name', code);
  assertClaimString(claims.platform, PAIRING_LIMITS.stringMaxChars, 'platform', code);
  assertClaimString(claims.hostname, PAIRING_LIMITS.stringMaxChars, 'hostname', code);
  assertClaimString(claims.agentVersion, PAIRING_LIMITS.stringMaxChars, 'agentVersion', code);

  const capabilities = claims.capabilities;
  if (!Array.isArray(capabilities)) throw new PalyraError(code, "claim 'capabilities' must be a list");
  if (capabilities.length > PAIRING_LIMITS.capabilitiesMax) {
    throw new PalyraError(code, `claim 'capabilities' may list at most ${PAIRING_LIMITS.capabilitiesMax} entries, got ${capabilities.length}`);
  }
  const seen = new Set<string>();
  capabilities.forEach((capability: unknown, index) => {
    assertClaimString(capability, PAIRING_LIMITS.capabilityMaxChars, `capabilities[${index}]`, code);
    // A duplicate would show the operator a list that differs from what is granted.
    if (seen.has(capability)) throw new PalyraError(code, `claim 'capabilities[${index}]' is a duplicate`);
    seen.add(capability);
  });

  assertBytes(claims.ed25519PublicKey, PAIRING_LIMITS.publicKeyBytes, 'ed25519PublicKey', code);
  if (!isUsableEd25519PublicKey(claims.ed25519PublicKey)) {
    throw new PalyraError(code, "claim 'ed25519PublicKey' is not a valid prime-order Ed25519 public key");
  }
  assertBytes(claims.x25519PublicKey, PAIRING_LIMITS.publicKeyBytes, 'x25519PublicKey', code);
  if (!isUsableX25519PublicKey(claims.x25519PublicKey)) {
    throw new PalyraError(code, "claim 'x25519PublicKey' is a low-order point");
  }
  assertBytesInRange(claims.csrDer, 1, PAIRING_LIMITS.csrMaxBytes, 'csrDer', code);
  return claims as unknown as NodeClaims;
}

function copyIfBytes(value: unknown): unknown {
  return value instanceof Uint8Array ? copyBytes(value) : value;
}
