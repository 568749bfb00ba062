/**
 * The schema, as forward-only migrations. Version N is the database after migration N; a
 * database of a newer version than this build knows is refused and never modified. The SQL is
 * portable: the same statements run on SQLite and PostgreSQL.
 *
 * Records keep their searchable fields in columns and the whole record as JSON (`record`), so
 * that the `node-runtime.v1.json` format exports and imports without a field lost.
 */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'registry and dispatch journal',
    statements: [
      `CREATE TABLE pairing_codes (
        id TEXT PRIMARY KEY,
        method TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        record TEXT NOT NULL
      )`,
      `CREATE TABLE pairing_requests (
        request_id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        state TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        record TEXT NOT NULL
      )`,
      `CREATE TABLE nodes (
        device_id TEXT PRIMARY KEY,
        cert_fingerprint TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        record TEXT NOT NULL,
        last_seen TEXT
      )`,
      `CREATE TABLE revoked_certs (
        fingerprint TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        revoked_at TEXT NOT NULL,
        reason TEXT NOT NULL
      )`,
      `CREATE TABLE dispatches (
        id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        capability TEXT NOT NULL,
        caller TEXT NOT NULL,
        idempotency_key TEXT,
        input_hash TEXT NOT NULL,
        input_json TEXT,
        state TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        deadline_at BIGINT NOT NULL,
        sent_at BIGINT,
        finished_at BIGINT,
        result_json TEXT
      )`,
      `CREATE UNIQUE INDEX dispatches_by_key ON dispatches (device_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
      `CREATE INDEX dispatches_by_created ON dispatches (created_at, id)`,
      `CREATE INDEX dispatches_unfinished ON dispatches (device_id) WHERE finished_at IS NULL`,
      `CREATE INDEX dispatches_by_finished ON dispatches (finished_at) WHERE finished_at IS NOT NULL`,
      `CREATE TABLE store_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: 'certificate renewal: revocations carry their certificate expiry',
    statements: [
      // NULL for entries written before renewal: they stay (their expiry is unknown).
      `ALTER TABLE revoked_certs ADD COLUMN expires_at TEXT`,
    ],
  },
  {
    version: 3,
    name: 'API tokens for the remote admin endpoint',
    statements: [
      // Only the SHA-256 of a token's secret is kept. permissions and scopes are JSON lists;
      // times are RFC 3339 text (NULL: never expires / not revoked / never used).
      `CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        permissions TEXT NOT NULL,
        scopes TEXT NOT NULL,
        nodes TEXT NOT NULL,
        rate_per_second DOUBLE PRECISION NOT NULL,
        burst INTEGER NOT NULL,
        secret_sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT,
        created_by TEXT NOT NULL,
        last_used_at TEXT
      )`,
      `CREATE INDEX api_tokens_by_created ON api_tokens (created_at, id)`,
    ],
  },
  {
    version: 4,
    name: 'node labels set by operators',
    statements: [
      // A JSON object of the labels operators set (LabelNode); NULL: none. Kept beside the
      // record, which the node's re-registration rewrites, so the two never mix.
      `ALTER TABLE nodes ADD COLUMN operator_labels TEXT`,
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;
