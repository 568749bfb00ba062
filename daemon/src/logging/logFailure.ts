import { PalyraError } from '@palyra/shared/errors';
import type { Logger } from '@palyra/shared/logging';

/**
 * Logs an error that nobody awaits (a background sweep, a service's stop, a stream that is
 * already gone) instead of dropping it: one line with its stable code and message.
 */
export function logFailure(logger: Logger | undefined, level: 'info' | 'warn' | 'error', what: string, error: unknown, fields: Record<string, unknown> = {}): void {
  const failure = PalyraError.from(error);
  logger?.[level]({ ...fields, code: failure.code, error: failure.message }, what);
}
