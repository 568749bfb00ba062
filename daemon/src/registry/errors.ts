import { PalyraError } from '@palyra/shared/errors';
import { StateValidationError } from './validation.js';

const RECOVERY =
  'restore it from a backup, or move it aside to start with an empty state; the daemon never overwrites it';

/** The state file is not valid JSON or failed validation (`problem` names the field). */
export function stateCorruptError(file: string, problem: string, cause?: unknown): PalyraError {
  return new PalyraError('PALYRA_E_STATE_CORRUPT', `state file ${file} is corrupt: ${problem}; ${RECOVERY}`, {
    cause,
    details: { file, problem },
  });
}

export function stateVersionError(file: string, version: number, expected: number): PalyraError {
  const why =
    version > expected
      ? `it was written by a newer palyrad (version ${version}; this build reads version ${expected} only): run that palyrad, or ${RECOVERY}`
      : `version ${version} is not supported (this build reads version ${expected} only): ${RECOVERY}`;
  return new PalyraError('PALYRA_E_STATE_VERSION', `state file ${file}: ${why}`, {
    details: { file, version, expected },
  });
}

export function statePermissionsError(file: string, mode: number): PalyraError {
  const octal = (mode & 0o777).toString(8).padStart(3, '0');
  return new PalyraError(
    'PALYRA_E_STATE_PERMISSIONS',
    `state file ${file} has mode ${octal}: group and others must have no access to it; run: chmod 600 '${file}'`,
    { details: { file, mode: octal } },
  );
}

export function stateIoError(file: string, action: string, cause: unknown): PalyraError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new PalyraError(
    'PALYRA_E_STATE_IO',
    `could not ${action} state file ${file}: ${reason}; check that the state directory exists, is writable and the disk is not full`,
    { cause, details: { file } },
  );
}

export function invalid(message: string, cause?: unknown): PalyraError {
  return new PalyraError('PALYRA_E_INVALID_ARGUMENT', message, cause === undefined ? {} : { cause });
}

/** Runs a validation, turning a StateValidationError into PALYRA_E_INVALID_ARGUMENT. */
export function checked<T>(what: string, validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    if (error instanceof StateValidationError) throw invalid(`invalid ${what}: ${error.message}`, error);
    throw error;
  }
}
