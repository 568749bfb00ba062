import { PalyraError } from '@palyra/shared/errors';
import type { SqlExecutor, SqlRow } from './SqlDatabase.js';
import type { TokenRecord, TokenRepository } from './types.js';

const COLUMNS =
  'id, name, role, permissions, scopes, nodes, rate_per_second, burst, secret_sha256, created_at, expires_at, revoked_at, created_by, last_used_at';

interface TokenRow extends SqlRow {
  id: string;
  name: string;
  role: string;
  permissions: string;
  scopes: string;
  nodes: string;
  rate_per_second: number;
  burst: number;
  secret_sha256: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  created_by: string;
  last_used_at: string | null;
}

function list(text: string, column: string, id: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  } catch {
    // reported below
  }
  throw new PalyraError('PALYRA_E_STATE_CORRUPT', `the state database has a damaged api_tokens row ${JSON.stringify(id)}: its ${column} is not a JSON list of strings; revoke the token and create another`, {
    details: { table: 'api_tokens', key: id },
  });
}

function tokenOf(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    permissions: list(row.permissions, 'permissions', row.id),
    scopes: list(row.scopes, 'scopes', row.id),
    nodes: row.nodes,
    ratePerSecond: Number(row.rate_per_second),
    burst: Number(row.burst),
    secretSha256: row.secret_sha256,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    createdBy: row.created_by,
    lastUsedAt: row.last_used_at,
  };
}

/** API tokens (migration 3). The secret is never here: only its SHA-256. */
export function tokenRepository(sql: SqlExecutor): TokenRepository {
  return {
    async all() {
      return (await sql.all<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at, id`)).map(tokenOf);
    },
    async get(id) {
      const row = await sql.get<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE id = ?`, [id]);
      return row === undefined ? undefined : tokenOf(row);
    },
    async insert(t) {
      await sql.run(`INSERT INTO api_tokens (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        t.id,
        t.name,
        t.role,
        JSON.stringify(t.permissions),
        JSON.stringify(t.scopes),
        t.nodes,
        t.ratePerSecond,
        t.burst,
        t.secretSha256,
        t.createdAt,
        t.expiresAt,
        t.revokedAt,
        t.createdBy,
        t.lastUsedAt,
      ]);
    },
    async revoke(id, at) {
      const { changes } = await sql.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id]);
      return changes > 0;
    },
    async touch(id, at) {
      await sql.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)', [at, id, at]);
    },
    async deleteEnded(before) {
      // Times are RFC 3339 in UTC with milliseconds, all of one length: they sort as text.
      const { changes } = await sql.run('DELETE FROM api_tokens WHERE revoked_at <= ? OR expires_at <= ?', [before, before]);
      return changes;
    },
  };
}
