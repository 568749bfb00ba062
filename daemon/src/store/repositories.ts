import type { NodeRecord, PairingCodeRecord, PairingRequestRecord, RevokedCertRecord } from '../registry/types.js';
import { PalyraError } from '@palyra/shared/errors';
import type { SqlExecutor, SqlRow, SqlValue } from './SqlDatabase.js';
import { tokenRepository } from './tokenRepository.js';
import type {
  DispatchListQuery,
  DispatchRecord,
  DispatchRepository,
  JournalDispatchState,
  MetaRepository,
  NodeRepository,
  PairingCodeRepository,
  PairingRequestRepository,
  Repositories,
  RevocationRepository,
} from './types.js';

/** The repositories over one executor: the database (each call its own transaction) or a transaction. */
export function repositoriesOver(sql: SqlExecutor): Repositories {
  return {
    pairingCodes: pairingCodes(sql),
    pairingRequests: pairingRequests(sql),
    nodes: nodes(sql),
    revocations: revocations(sql),
    dispatches: dispatches(sql),
    tokens: tokenRepository(sql),
    meta: meta(sql),
  };
}

/**
 * Rows keep whole records as JSON; the store wrote them, validation happens on load (see
 * loadRegistryState). JSON that does not parse is a damaged row, named by its table and key.
 */
function records<T>(rows: readonly SqlRow[], table: string, keyColumn: string): T[] {
  return rows.map((row) => parseRecord<T>(row.record, table, row[keyColumn]));
}

function parseRecord<T>(text: SqlValue | undefined, table: string, key: SqlValue | undefined): T {
  try {
    return JSON.parse(String(text)) as T;
  } catch (error) {
    throw new PalyraError('PALYRA_E_STATE_CORRUPT', `the state database has a damaged ${table} row ${JSON.stringify(key)}: its record is not JSON (${(error as Error).message}); restore it from a backup or move it aside`, {
      cause: error,
      details: { table, key: String(key) },
    });
  }
}

/** Up to 500 ids per statement: SQLite allows 32,766 parameters and PostgreSQL 65,535, but statements stay small. */
async function deleteIn(sql: SqlExecutor, table: string, column: string, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await sql.run(`DELETE FROM ${table} WHERE ${column} IN (${chunk.map(() => '?').join(', ')})`, chunk);
  }
}

function pairingCodes(sql: SqlExecutor): PairingCodeRepository {
  return {
    async all() {
      return records<PairingCodeRecord>(await sql.all('SELECT id, record FROM pairing_codes ORDER BY created_at, id'), 'pairing_codes', 'id');
    },
    async upsert(code) {
      await sql.run(
        `INSERT INTO pairing_codes (id, method, state, created_at, record) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET method = excluded.method, state = excluded.state, created_at = excluded.created_at, record = excluded.record`,
        [code.id, code.method, code.state, code.createdAt, JSON.stringify(code)],
      );
    },
    async delete(ids) {
      await deleteIn(sql, 'pairing_codes', 'id', ids);
    },
  };
}

function pairingRequests(sql: SqlExecutor): PairingRequestRepository {
  return {
    async all() {
      return records<PairingRequestRecord>(
        await sql.all('SELECT request_id, record FROM pairing_requests ORDER BY requested_at, request_id'),
        'pairing_requests',
        'request_id',
      );
    },
    async upsert(request) {
      await sql.run(
        `INSERT INTO pairing_requests (request_id, device_id, state, requested_at, record) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (request_id) DO UPDATE SET device_id = excluded.device_id, state = excluded.state, requested_at = excluded.requested_at, record = excluded.record`,
        [request.requestId, request.deviceId, request.state, request.requestedAt, JSON.stringify(request)],
      );
    },
    async delete(requestIds) {
      await deleteIn(sql, 'pairing_requests', 'request_id', requestIds);
    },
  };
}

/** The record column: everything but the operator labels, which have their own. */
function recordOf(node: NodeRecord): Omit<NodeRecord, 'operatorLabels'> {
  const { operatorLabels: _own, ...record } = node;
  return record;
}

function operatorLabelsOf(node: NodeRecord): string | null {
  return node.operatorLabels === undefined || Object.keys(node.operatorLabels).length === 0 ? null : JSON.stringify(node.operatorLabels);
}

function nodes(sql: SqlExecutor): NodeRepository {
  return {
    async all() {
      const rows = await sql.all<{ device_id: string; record: string; last_seen: string | null; operator_labels: string | null }>(
        'SELECT device_id, record, last_seen, operator_labels FROM nodes ORDER BY device_id',
      );
      // lastSeen lives in its own column (written often, alone); the record's copy may be older.
      // Operator labels live in theirs (migration 4); the registry validates both on load.
      return rows.map((row) => {
        const { operatorLabels: _inRecord, ...record } = parseRecord<NodeRecord>(row.record, 'nodes', row.device_id);
        const operatorLabels = row.operator_labels === null ? undefined : parseRecord<Record<string, string>>(row.operator_labels, 'nodes.operator_labels', row.device_id);
        return { ...record, lastSeen: row.last_seen, ...(operatorLabels === undefined ? {} : { operatorLabels }) };
      });
    },
    async count() {
      const row = await sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM nodes');
      return Number(row?.n ?? 0);
    },
    async upsert(node) {
      await sql.run(
        `INSERT INTO nodes (device_id, cert_fingerprint, name, record, last_seen, operator_labels) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET cert_fingerprint = excluded.cert_fingerprint, name = excluded.name, record = excluded.record, last_seen = excluded.last_seen, operator_labels = excluded.operator_labels`,
        [node.deviceId, node.certFingerprint, node.name, JSON.stringify(recordOf(node)), node.lastSeen, operatorLabelsOf(node)],
      );
    },
    async delete(deviceId) {
      await sql.run('DELETE FROM nodes WHERE device_id = ?', [deviceId]);
    },
    async setLastSeen(entries) {
      for (const { deviceId, lastSeen } of entries) {
        await sql.run('UPDATE nodes SET last_seen = ? WHERE device_id = ? AND (last_seen IS NULL OR last_seen < ?)', [
          lastSeen,
          deviceId,
          lastSeen,
        ]);
      }
    },
  };
}

function revocations(sql: SqlExecutor): RevocationRepository {
  return {
    async all() {
      const rows = await sql.all<{ fingerprint: string; device_id: string; revoked_at: string; reason: string; expires_at: string | null }>(
        'SELECT fingerprint, device_id, revoked_at, reason, expires_at FROM revoked_certs ORDER BY revoked_at, fingerprint',
      );
      return rows.map(
        (row): RevokedCertRecord => ({
          fingerprint: row.fingerprint,
          deviceId: row.device_id,
          revokedAt: row.revoked_at,
          reason: row.reason,
          ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
        }),
      );
    },
    async add(record) {
      await sql.run(
        'INSERT INTO revoked_certs (fingerprint, device_id, revoked_at, reason, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING',
        [record.fingerprint, record.deviceId, record.revokedAt, record.reason, record.expiresAt ?? null],
      );
    },
    async delete(fingerprints) {
      await deleteIn(sql, 'revoked_certs', 'fingerprint', fingerprints);
    },
  };
}

const DISPATCH_COLUMNS =
  'id, device_id, capability, caller, idempotency_key, input_hash, input_json, state, created_at, deadline_at, sent_at, finished_at, result_json';

interface DispatchRow extends SqlRow {
  id: string;
  device_id: string;
  capability: string;
  caller: string;
  idempotency_key: string | null;
  input_hash: string;
  input_json: string | null;
  state: string;
  created_at: number;
  deadline_at: number;
  sent_at: number | null;
  finished_at: number | null;
  result_json: string | null;
}

function dispatchOf(row: DispatchRow): DispatchRecord {
  const time = (value: number | null): number | null => (value === null ? null : Number(value));
  return {
    id: row.id,
    deviceId: row.device_id,
    capability: row.capability,
    caller: row.caller,
    idempotencyKey: row.idempotency_key,
    inputHash: row.input_hash,
    inputJson: row.input_json,
    state: row.state as JournalDispatchState,
    createdAt: Number(row.created_at),
    deadlineAt: Number(row.deadline_at),
    sentAt: time(row.sent_at),
    finishedAt: time(row.finished_at),
    resultJson: row.result_json,
  };
}

function dispatches(sql: SqlExecutor): DispatchRepository {
  const one = async (where: string, params: (string | number)[]): Promise<DispatchRecord | undefined> => {
    const row = await sql.get<DispatchRow>(`SELECT ${DISPATCH_COLUMNS} FROM dispatches WHERE ${where}`, params);
    return row === undefined ? undefined : dispatchOf(row);
  };
  return {
    async insert(d) {
      await sql.run(`INSERT INTO dispatches (${DISPATCH_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        d.id,
        d.deviceId,
        d.capability,
        d.caller,
        d.idempotencyKey,
        d.inputHash,
        d.inputJson,
        d.state,
        d.createdAt,
        d.deadlineAt,
        d.sentAt,
        d.finishedAt,
        d.resultJson,
      ]);
    },
    get(id) {
      return one('id = ?', [id]);
    },
    findByKey(deviceId, idempotencyKey) {
      return one('device_id = ? AND idempotency_key = ?', [deviceId, idempotencyKey]);
    },
    async advance(id, state, at) {
      if (state === 'sent') {
        await sql.run(`UPDATE dispatches SET state = 'sent', sent_at = ? WHERE id = ? AND finished_at IS NULL AND state = 'queued'`, [at, id]);
      } else {
        await sql.run(
          `UPDATE dispatches SET state = 'running', sent_at = COALESCE(sent_at, ?) WHERE id = ? AND finished_at IS NULL AND state IN ('queued', 'sent')`,
          [at, id],
        );
      }
    },
    async finish(id, state, resultJson, at) {
      const { changes } = await sql.run(
        `UPDATE dispatches SET state = ?, result_json = ?, finished_at = ?, input_json = NULL
         WHERE id = ? AND (finished_at IS NULL OR state = 'unknown')`,
        [state, resultJson, at, id],
      );
      return changes > 0;
    },
    async unfinished(deviceId) {
      const rows =
        deviceId === undefined
          ? await sql.all<DispatchRow>(`SELECT ${DISPATCH_COLUMNS} FROM dispatches WHERE finished_at IS NULL ORDER BY created_at, id`)
          : await sql.all<DispatchRow>(
              `SELECT ${DISPATCH_COLUMNS} FROM dispatches WHERE finished_at IS NULL AND device_id = ? ORDER BY created_at, id`,
              [deviceId],
            );
      return rows.map(dispatchOf);
    },
    async list(query: DispatchListQuery) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (query.deviceId !== undefined) {
        where.push('device_id = ?');
        params.push(query.deviceId);
      }
      if (query.unfinished === true) where.push('finished_at IS NULL');
      if (query.unfinished === false) where.push('finished_at IS NOT NULL');
      if (query.before !== undefined) {
        where.push('(created_at < ? OR (created_at = ? AND id < ?))');
        params.push(query.before.createdAt, query.before.createdAt, query.before.id);
      }
      params.push(Math.max(1, Math.trunc(query.limit)));
      const rows = await sql.all<DispatchRow>(
        `SELECT ${DISPATCH_COLUMNS} FROM dispatches ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY created_at DESC, id DESC LIMIT ?`,
        params,
      );
      return rows.map(dispatchOf);
    },
    async prune({ finishedBefore, keepAllSince, maxCount }) {
      const byAge = await sql.run('DELETE FROM dispatches WHERE finished_at IS NOT NULL AND finished_at < ?', [finishedBefore]);
      // The newest maxCount finished dispatches stay; older ones go once past keepAllSince
      // (the idempotency window: a key stays answerable that long whatever the count).
      const cutoff = await sql.get<{ finished_at: number }>(
        'SELECT finished_at FROM dispatches WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1 OFFSET ?',
        [Math.max(0, Math.trunc(maxCount))],
      );
      if (cutoff === undefined) return byAge.changes;
      const limit = Math.min(Number(cutoff.finished_at), keepAllSince);
      const byCount = await sql.run('DELETE FROM dispatches WHERE finished_at IS NOT NULL AND finished_at <= ? AND finished_at < ?', [
        limit,
        keepAllSince,
      ]);
      return byAge.changes + byCount.changes;
    },
  };
}

function meta(sql: SqlExecutor): MetaRepository {
  return {
    async get(key) {
      const row = await sql.get<{ value: string }>('SELECT value FROM store_meta WHERE key = ?', [key]);
      return row?.value;
    },
    async set(key, value) {
      await sql.run('INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    },
  };
}
