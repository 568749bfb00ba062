import { PalyraError, type ErrorCode } from '@palyra/shared/errors';

/**
 * The error `shell.exec` throws after killing a command because the dispatch's signal fired,
 * so the host reports the dispatch as cancelled or timed out:
 * - the host aborted with a PalyraError: its code is kept (e.g. PALYRA_E_TIMEOUT);
 * - the reason is a `TimeoutError`, or the dispatch deadline has passed: PALYRA_E_TIMEOUT;
 * - otherwise: PALYRA_E_CANCELLED.
 * The original reason is the `cause`; `details` carries the partial outcome.
 */
export function abortError(signal: AbortSignal, deadline: Date, what: string, details: Record<string, unknown>): PalyraError {
  const reason: unknown = signal.reason;
  let code: ErrorCode;
  if (reason instanceof PalyraError) code = reason.code;
  else if (isTimeoutError(reason) || Date.now() >= deadline.getTime()) code = 'PALYRA_E_TIMEOUT';
  else code = 'PALYRA_E_CANCELLED';
  const why =
    code === 'PALYRA_E_TIMEOUT'
      ? 'the dispatch deadline passed'
      : code === 'PALYRA_E_CANCELLED'
        ? 'the dispatch was cancelled'
        : (reason as PalyraError).message;
  return new PalyraError(code, `${what} was stopped (process tree killed): ${why}`, { cause: reason, details });
}

function isTimeoutError(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';
}
