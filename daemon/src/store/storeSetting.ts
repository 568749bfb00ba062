import { PalyraError } from '@palyra/shared/errors';
import { isPostgresUrl } from './postgres/postgresUrl.js';

/** Where the daemon keeps its state, from the `store` setting. */
export type StoreTarget = { engine: 'sqlite' } | { engine: 'postgres'; url: string };

/**
 * The `store` setting (flag --store, env PALYRA_STORE, config `store`): empty or `sqlite` for
 * the SQLite file in the state dir, a `postgres://` or `postgresql://` URL for PostgreSQL.
 * Anything else is a usage error; the message never repeats the value (it may hold a password).
 */
export function parseStoreSetting(text: string | undefined, from = '--store'): StoreTarget {
  const value = (text ?? '').trim();
  if (value === '' || value.toLowerCase() === 'sqlite') return { engine: 'sqlite' };
  if (isPostgresUrl(value)) return { engine: 'postgres', url: value };
  throw new PalyraError('PALYRA_E_USAGE', `${from} must be sqlite or a postgres:// (postgresql://) URL`);
}
