import type { PalyraError } from '@palyra/shared/errors';
import { dispatchAbortError } from '@palyra/shared/plugins';

/**
 * The error `shell.exec` throws after killing a command because the dispatch's signal fired,
 * so the host reports the dispatch as cancelled or timed out; `details` carries the partial
 * outcome.
 */
export function abortError(signal: AbortSignal, deadline: Date, what: string, details: Record<string, unknown>): PalyraError {
  return dispatchAbortError(signal, deadline, { what, how: 'process tree killed', details });
}
