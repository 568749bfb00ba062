import pg from 'pg';
import { PalyraError } from '@palyra/shared/errors';
import { scrubSecrets } from './postgresUrl.js';

/** What the operator should check, by SQLSTATE class (the first two characters). */
const IO_CLASSES: Record<string, string> = {
  '08': 'the connection to the server failed: check that it runs and that the URL names its host and port',
  '28': 'the server refused the credentials: check the user and password (the URL or PGPASSWORD) and pg_hba.conf on the server',
  '3D': 'the database does not exist: create it (createdb) or fix the URL',
  '53': 'the server is out of a resource (disk, memory or connections): free it and restart palyrad',
  '57': 'the server is shutting down, starting, or cancelled the statement (statement_timeout)',
  '58': 'the server could not read or write its files: check its disk',
  '25': 'the server refuses writes (a read-only standby?): point palyrad at the primary',
  '40': 'the transaction conflicted with another one and was rolled back: try again',
};

/** Node's socket errors: the server is unreachable. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EACCES']);

/** pg's own messages for a lost or never-made connection (it gives them no code). */
const CONNECTION_MESSAGE = /connection terminated|timeout exceeded when trying to connect|query read timeout|client was closed|client has encountered a connection error|connection timeout|server closed the connection/i;

/**
 * A pg failure as a coded error. An unreachable server, refused credentials, a missing database,
 * a full disk, a timeout: PALYRA_E_STATE_IO with what to check. Damaged data (XX001, XX002):
 * PALYRA_E_STATE_CORRUPT. Others (a constraint, a bug in a statement) keep their message under
 * PALYRA_E_INTERNAL, as on SQLite. No message ever holds a secret of the URL: each is scrubbed,
 * and `cause` is not kept for connection failures (a socket error's fields may echo the config).
 */
export function postgresError(error: unknown, location: string, action: string, secrets: readonly string[]): PalyraError {
  if (error instanceof PalyraError) return error;
  const record = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown };
  const code = typeof record.code === 'string' ? record.code : undefined;
  const message = scrubSecrets(typeof record.message === 'string' ? record.message : String(error), secrets).replace(/\s*\n\s*/g, ' ');
  // A SQLSTATE comes only with the server's own errors; Node's socket errors have errno codes.
  const isSqlState = error instanceof pg.DatabaseError && code !== undefined;
  if (isSqlState && (code === 'XX001' || code === 'XX002')) {
    return new PalyraError(
      'PALYRA_E_STATE_CORRUPT',
      `the PostgreSQL store ${location} reports damaged data (${message}): restore the database from a backup`,
      { details: { location, sqlState: code } },
    );
  }
  if (code === 'ERR_INVALID_URL' || (!isSqlState && /^invalid url/i.test(message))) {
    // The driver parses the URL when it first connects; the cause may echo it, so it is dropped.
    return new PalyraError('PALYRA_E_USAGE', `the store ${location} is not a valid postgres:// URL (${message}): fix --store, PALYRA_STORE or the config key store`, {
      details: { location },
    });
  }
  const hint = isSqlState ? IO_CLASSES[code.slice(0, 2)] : undefined;
  if (hint !== undefined) {
    return new PalyraError('PALYRA_E_STATE_IO', `could not ${action} the PostgreSQL store ${location}: ${message}; ${hint}`, {
      details: { location, sqlState: code },
    });
  }
  if ((!isSqlState && code !== undefined && SOCKET_CODES.has(code)) || (!isSqlState && CONNECTION_MESSAGE.test(message))) {
    return new PalyraError(
      'PALYRA_E_STATE_IO',
      `could not ${action} the PostgreSQL store ${location}: ${message}; check that the server runs and that the URL names its host and port`,
      { details: code === undefined ? { location } : { location, errno: code } },
    );
  }
  return new PalyraError('PALYRA_E_INTERNAL', `PostgreSQL store ${location}: ${message}`, {
    cause: error,
    details: isSqlState ? { location, sqlState: code } : { location },
  });
}
