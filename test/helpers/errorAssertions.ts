import { expect } from 'vitest';
import { PalyraError, type ErrorCode } from '@palyra/shared/errors';

/** The PalyraError `promise` rejects with; the test fails when it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<PalyraError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PalyraError);
  return error as PalyraError;
}

/** The PalyraError `promise` rejects with, which must carry `code` (its message is shown when it does not). */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<PalyraError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(PalyraError);
  expect((error as PalyraError).code, (error as PalyraError).message).toBe(code);
  return error as PalyraError;
}
