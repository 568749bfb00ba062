import { PalyraError } from '../errors/index.js';

/**
 * Throws once `signal` has fired, between steps of a long operation. A PalyraError reason
 * (the host's PALYRA_E_TIMEOUT or PALYRA_E_CANCELLED) is thrown as is, so its code reaches
 * the caller; any other reason becomes PALYRA_E_CANCELLED naming `what`, with the reason as
 * its cause. Unlike `signal.throwIfAborted()`, what it throws always carries a code.
 */
export function throwIfAborted(signal: AbortSignal | undefined, what = 'the operation'): void {
  if (signal?.aborted !== true) return;
  const reason: unknown = signal.reason;
  if (reason instanceof PalyraError) throw reason;
  throw new PalyraError('PALYRA_E_CANCELLED', `${what} was cancelled`, { cause: reason });
}
