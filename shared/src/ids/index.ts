/**
 * The ids the system mints, each named for what it identifies, all ULIDs from one generator
 * (./ulid.ts): sortable by creation time, 26 upper-case characters.
 */
import { PalyraError } from '../errors/index.js';
import { isUlid, newUlid, ulidTime } from './ulid.js';

export { ULID_PATTERN } from './ulid.js';

/** A node's device id (minted by the node when it joins). `now` only for tests of the time part. */
export function newDeviceId(now?: number): string {
  return newUlid(now);
}

/** A dispatch's id (minted by the daemon per capability request). */
export function newDispatchId(): string {
  return newUlid();
}

/** True for a dispatch id in canonical form (an upper-case ULID, as newDispatchId mints). */
export function isValidDispatchId(value: unknown): value is string {
  return isUlid(value);
}

/** A pairing request's id (minted by the daemon when a node asks to pair). */
export function newPairingRequestId(): string {
  return newUlid();
}

/** True for a device id in canonical form (an upper-case ULID). */
export function isValidDeviceId(value: unknown): value is string {
  return isUlid(value);
}

/**
 * Throws PALYRA_E_INVALID_ARGUMENT unless `value` is a device id in canonical form: the one
 * check every place that takes a device id from outside (an operator, a caller) applies, so
 * that none accepts a spelling (lower case) that another refuses.
 */
export function assertDeviceId(value: unknown): asserts value is string {
  if (!isUlid(value)) {
    throw new PalyraError(
      'PALYRA_E_INVALID_ARGUMENT',
      `"${String(value).slice(0, 64)}" is not a device id: device ids are ULIDs written in upper case (26 Crockford base32 characters), as nodes list shows them`,
    );
  }
}

/** Milliseconds since the epoch encoded in a device id. */
export function deviceIdTime(deviceId: string): number {
  return ulidTime(deviceId);
}
