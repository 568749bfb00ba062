import type { PalyraError } from '@palyra/shared/errors';
import { dispatchAbortError } from '@palyra/shared/plugins';

/** The error a browser capability throws once its dispatch's signal fired (the page is closed). */
export function abortError(signal: AbortSignal, deadline: Date, what: string): PalyraError {
  return dispatchAbortError(signal, deadline, { what, how: 'page closed' });
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
