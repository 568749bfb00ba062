import { PalyraError, type ErrorCode } from '../errors/index.js';

/**
 * The error a capability throws once its dispatch's signal fired, so the host reports the
 * dispatch as cancelled or timed out:
 * - the host aborted with a PalyraError: its code is kept (PALYRA_E_TIMEOUT, PALYRA_E_CANCELLED);
 * - the reason is a `TimeoutError`, or the deadline has passed: PALYRA_E_TIMEOUT;
 * - otherwise: PALYRA_E_CANCELLED.
 * `what` names the work and `how` what was done to stop it ("process tree killed"); the
 * original reason is the `cause`.
 */
export function dispatchAbortError(
  signal: AbortSignal,
  deadline: Date,
  { what, how, details }: { what: string; how: string; details?: Record<string, unknown> },
): PalyraError {
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
  return new PalyraError(code, `${what} was stopped (${how}): ${why}`, details === undefined ? { cause: reason } : { cause: reason, details });
}

function isTimeoutError(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';
}
