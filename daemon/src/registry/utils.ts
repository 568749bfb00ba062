import { PalyraError } from '@palyra/shared/errors';

/** Throws PALYRA_E_CANCELLED when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) {
    throw new PalyraError('PALYRA_E_CANCELLED', 'the operation was cancelled', { cause: signal.reason });
  }
}

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Milliseconds since the epoch of an ISO-8601 timestamp (validated elsewhere). */
export function timeOf(iso: string): number {
  return Date.parse(iso);
}

export function isoAfter(now: Date, ms: number): string {
  return new Date(now.getTime() + ms).toISOString();
}
