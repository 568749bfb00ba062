// The one implementation lives in scripts/postgres-server.mjs (plain JS: bench/ uses it too).
export { POSTGRES_TEST_ROLE, freePort, postgresBinDir, startPostgres, type PostgresServer } from '../../scripts/postgres-server.mjs';
