import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NewPairingRequest, RuntimeState, StateFs } from '../../src/registry/index.js';
import type { SqlExecutor, SqlValue, Store } from '../../src/store/index.js';

export async function makeStateDir(): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(tmpdir(), 'palyra-registry-'));
  await fsp.chmod(dir, 0o700);
  return dir;
}

/** A canonical ULID, distinct per n. */
export function deviceId(n: number): string {
  return `01HQ0000000000000000000${n.toString().padStart(3, '0')}`;
}

export function key32(n: number): string {
  return Buffer.alloc(32, n).toString('base64');
}

export function fingerprint(n: number): string {
  return createHash('sha256').update(`cert-${n}`).digest('hex');
}

/** A tiny DER SEQUENCE: enough for the validator. */
export function der(n: number): string {
  return Buffer.from([0x30, 0x03, 0x02, 0x01, n]).toString('base64');
}

export class FakeClock {
  constructor(public ms = Date.parse('2025-01-01T00:00:00.000Z')) {}
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

export function pinCode(id: string) {
  return { id, method: 'pin' as const, prs: Buffer.alloc(32, 7).toString('base64'), salt: Buffer.alloc(16, 1).toString('base64') };
}

export function newRequest(n: number, overrides: Partial<NewPairingRequest> = {}): NewPairingRequest {
  return {
    requestId: `req-${n}`,
    deviceId: deviceId(n),
    codeId: 'code-1',
    method: 'pin',
    name: `node-${n}`,
    platform: 'linux-x64',
    hostname: `host-${n}`,
    agentVersion: '0.1.0',
    capabilities: ['fs.read'],
    remoteAddress: '127.0.0.1:5000',
    ed25519PublicKey: key32(n),
    x25519PublicKey: key32(100 + n),
    csr: der(n),
    sas: '123 456',
    ...overrides,
  };
}

export function certificate(n: number, notAfter = '2025-02-01T00:00:00.000Z') {
  return { certDer: der(n), fingerprint: fingerprint(n), notAfter };
}

/** A state with one record of each kind, all valid. */
export function sampleState(): RuntimeState {
  return {
    version: 1,
    pairingCodes: [
      {
        id: 'code-1',
        method: 'pin',
        createdAt: '2025-01-01T00:00:00.000Z',
        expiresAt: '2025-01-01T00:10:00.000Z',
        attempts: 1,
        state: 'used',
      },
    ],
    requests: [
      {
        requestId: 'req-1',
        deviceId: deviceId(1),
        codeId: 'code-1',
        method: 'pin',
        name: 'node-1',
        platform: 'linux-x64',
        hostname: 'host-1',
        agentVersion: '0.1.0',
        capabilities: ['fs.read', 'shell.exec'],
        remoteAddress: '127.0.0.1:5000',
        ed25519PublicKey: key32(1),
        x25519PublicKey: key32(101),
        csr: der(1),
        sas: '123 456',
        repair: false,
        requestedAt: '2025-01-01T00:01:00.000Z',
        expiresAt: '2025-01-01T00:16:00.000Z',
        state: 'approved',
        decidedAt: '2025-01-01T00:02:00.000Z',
        certificate: der(1),
      },
    ],
    nodes: [
      {
        deviceId: deviceId(1),
        name: 'node-1',
        platform: 'linux-x64',
        hostname: 'host-1',
        agentVersion: '0.1.0',
        capabilities: ['fs.read', 'shell.exec'],
        labels: { role: 'build' },
        ed25519PublicKey: key32(1),
        x25519PublicKey: key32(101),
        certFingerprint: fingerprint(1),
        certExpiresAt: '2025-02-01T00:00:00.000Z',
        pairedAt: '2025-01-01T00:02:00.000Z',
        lastSeen: null,
      },
    ],
    revoked: [{ fingerprint: fingerprint(99), deviceId: deviceId(9), revokedAt: '2025-01-01T00:00:00.000Z', reason: 'test' }],
  };
}

export async function writeStateFile(dir: string, content: string | Buffer, mode = 0o600): Promise<string> {
  const file = path.join(dir, 'node-runtime.v1.json');
  await fsp.writeFile(file, content, { mode });
  await fsp.chmod(file, mode);
  return file;
}

export async function readStateFile(dir: string): Promise<RuntimeState> {
  return JSON.parse(await fsp.readFile(path.join(dir, 'node-runtime.v1.json'), 'utf8')) as RuntimeState;
}

function ioError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure`), { code });
}

/**
 * node:fs/promises with switchable failures: `renameFails` makes the rename throw EIO,
 * `syncFails` the temp file's fsync. `maxInFlight` records overlapping writes.
 */
export class FaultyFs implements StateFs {
  renameFails = false;
  syncFails = false;
  inFlight = 0;
  maxInFlight = 0;

  readonly open: StateFs['open'] = async (file, flags, mode) => {
    const handle = await fsp.open(file, flags, mode);
    if (flags !== 'wx') return handle;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      // Let other saves run here if they could.
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (this.syncFails) {
        this.inFlight -= 1;
        throw ioError('EIO');
      }
      return sync();
    };
    return handle;
  };

  readonly rename: StateFs['rename'] = async (from, to) => {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.renameFails) throw ioError('EIO');
    return fsp.rename(from, to);
  };

  readonly unlink: StateFs['unlink'] = (file) => fsp.unlink(file);
}

/** The registry's rows as the store holds them, in the JSON state file's shape (for assertions). */
export async function readStoreState(store: Store): Promise<RuntimeState> {
  return {
    version: 1,
    pairingCodes: await store.pairingCodes.all(),
    requests: await store.pairingRequests.all(),
    nodes: await store.nodes.all(),
    revoked: await store.revocations.all(),
  };
}

/** Writes `state`'s records as rows, as a previous run (or a hand edit) left them. */
export async function seedStore(store: Store, state: RuntimeState): Promise<void> {
  await store.transaction(async (repos) => {
    for (const code of state.pairingCodes) await repos.pairingCodes.upsert(code);
    for (const request of state.requests) await repos.pairingRequests.upsert(request);
    for (const node of state.nodes) await repos.nodes.upsert(node);
    for (const record of state.revoked) await repos.revocations.add(record);
  });
}

/**
 * Makes every write to the real database fail, as a full disk or a read-only file would:
 * SQLite's `PRAGMA query_only` on the store's own connection refuses each write statement
 * with SQLITE_READONLY (PALYRA_E_STATE_IO), while reads go on. Chosen because it works as
 * root (CI runs as root: a read-only chmod does not stop root) and on any file system; a
 * tiny file system is not available, and `PRAGMA max_page_count` only fails writes that
 * need a new page, which a small change (one row into a page with room) does not.
 */
export async function failWrites(store: Store, fail = true): Promise<void> {
  await store.db.run(`PRAGMA query_only = ${fail ? 'ON' : 'OFF'}`);
}

/** Counts the write statements (run()) that reach the database, transactions included. */
export class StatementCounter {
  runs = 0;
  /** Wraps `store.db` so that its statements and its transactions' statements are counted. */
  constructor(store: Store) {
    const db = store.db;
    const count = (executor: SqlExecutor): SqlExecutor => ({
      all: (sql, params) => executor.all(sql, params),
      get: (sql, params) => executor.get(sql, params),
      run: (sql, params) => {
        this.runs += 1;
        return executor.run(sql, params);
      },
    });
    const run = db.run.bind(db);
    const transaction = db.transaction.bind(db);
    Object.assign(db, {
      run: (sql: string, params?: readonly SqlValue[]) => {
        this.runs += 1;
        return run(sql, params);
      },
      transaction: <T>(body: (tx: SqlExecutor) => Promise<T>, options?: { signal?: AbortSignal }) => transaction((tx) => body(count(tx)), options),
    });
  }
}
