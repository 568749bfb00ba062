import { PalyraError } from '@palyra/shared/errors';

/** SQLite's result codes that mean the file itself is damaged or is not a database. */
const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

/**
 * A better-sqlite3 failure as a coded error: a damaged file is PALYRA_E_STATE_CORRUPT, a full
 * disk or an I/O failure PALYRA_E_STATE_IO. Others (a constraint, a bug in a statement) keep
 * their message under PALYRA_E_INTERNAL. PalyraErrors pass through.
 */
export function sqliteError(error: unknown, file: string, action: string): PalyraError {
  if (error instanceof PalyraError) return error;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && (CORRUPT.has(code) || code.startsWith('SQLITE_CORRUPT'))) {
    return new PalyraError(
      'PALYRA_E_STATE_CORRUPT',
      `the state database ${file} is damaged (${message}): restore it from a backup or move it aside; the daemon did not modify it`,
      { cause: error, details: { file, problem: message } },
    );
  }
  // SQLite's own, or the system's (ENOSPC, EIO...) from syncing the WAL file.
  if (typeof code === 'string' && /^(SQLITE_(FULL|IOERR|CANTOPEN|READONLY|PERM|BUSY|LOCKED)|E[A-Z]+$)/.test(code)) {
    return new PalyraError(
      'PALYRA_E_STATE_IO',
      `could not ${action} the state database ${file}: ${message}; check that the disk is not full and the state directory is writable`,
      { cause: error, details: { file, sqliteCode: code } },
    );
  }
  return new PalyraError('PALYRA_E_INTERNAL', `state database ${file}: ${message}`, { cause: error, details: { file } });
}
