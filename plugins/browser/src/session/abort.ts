import { PalyraError, type ErrorCode } from '@palyra/shared/errors';

/**
 * The error a capability throws once the dispatch's signal fired, so the host reports the
 * dispatch as cancelled or timed out (as the shell plugin does):
 * - the host aborted with a PalyraError: its code is kept (PALYRA_E_TIMEOUT, PALYRA_E_CANCELLED);
 * - the reason is a `TimeoutError`, or the deadline has passed: PALYRA_E_TIMEOUT;
 * - otherwise: PALYRA_E_CANCELLED.
 */
export function abortError(signal: AbortSignal, deadline: Date, what: string): PalyraError {
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
  return new PalyraError(code, `${what} was stopped (page closed): ${why}`, { cause: reason });
}

/**
 * Settles with `work`, or rejects with `onAbort()` as soon as the signal fires, whichever is
 * first. `work` keeps running after an abort; its late failure is swallowed.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => Error): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(onAbort());
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      work.catch(() => {});
      reject(onAbort());
    };
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}

function isTimeoutError(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';
}
