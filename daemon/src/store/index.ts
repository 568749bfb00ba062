export type { SqlDatabase, SqlExecutor, SqlRow, SqlValue, StoreEngine } from './SqlDatabase.js';
export type * from './types.js';
export { SqlStore } from './SqlStore.js';
export { openStore, SQLITE_STORE_FILE, type OpenStoreOptions } from './openStore.js';
export { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';
export { migrate, schemaVersionOf, assertKnownVersion } from './migrate.js';
export { SqliteDatabase } from './sqlite/SqliteDatabase.js';
