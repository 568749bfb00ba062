export type { SqlDatabase, SqlExecutor, SqlRow, SqlValue, StoreEngine, TransactionOptions } from './SqlDatabase.js';
export type * from './types.js';
export { SqlStore } from './SqlStore.js';
export { openStore, SQLITE_STORE_FILE, type OpenStoreOptions } from './openStore.js';
export { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';
export { migrate, schemaVersionOf, assertKnownVersion } from './migrate.js';
export { SqliteDatabase } from './sqlite/SqliteDatabase.js';
// PostgresDatabase is not re-exported: importing pg costs 100-250 ms, paid only by a PostgreSQL store (openStore loads it).
export type { PostgresDatabaseOptions } from './postgres/PostgresDatabase.js';
export { redactPostgresUrl } from './postgres/postgresUrl.js';
export { parseStoreSetting, type StoreTarget } from './storeSetting.js';
