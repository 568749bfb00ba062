/**
 * The seed format against a real SQLite store in a temp dir: a first-slice
 * `node-runtime.v1.json` migrates once, in one transaction, and is never modified; the store
 * exports the same format back; a non-empty store, a corrupt, newer or world-readable file
 * are refused with nothing changed.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RuntimeState } from '../../src/registry/index.js';
import { openStore, type SqlStore } from '../../src/store/index.js';
import {
  exportRuntimeState,
  importRuntimeState,
  importSeedFileOnce,
  SEED_IMPORT_KEY,
  serializeRuntimeState,
  sha256Hex,
} from '../../src/store/seed/index.js';
import { deviceId, fingerprint, key32, makeStateDir, sampleState, writeStateFile } from '../registry/fixtures.js';
import { expectCode } from '../../../test/helpers/errorAssertions.js';

/** A first-slice file: the sample state plus an active PIN and a node that was removed (its certificate revoked). */
function firstSliceState(): RuntimeState {
  const state = sampleState();
  state.pairingCodes.push({
    id: 'code-active',
    method: 'pin',
    createdAt: '2025-01-01T00:20:00.000Z',
    expiresAt: '2999-01-01T00:00:00.000Z',
    attempts: 0,
    state: 'active',
  });
  state.revoked.push({ fingerprint: fingerprint(2), deviceId: deviceId(2), revokedAt: '2025-01-01T00:30:00.000Z', reason: 'removed by operator' });
  state.nodes.push({ ...state.nodes[0]!, deviceId: deviceId(3), name: 'node-3', certFingerprint: fingerprint(3), ed25519PublicKey: key32(3), lastSeen: '2025-01-02T00:00:00.000Z' });
  return state;
}

const sha = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');

describe('seed import and export (SQLite)', () => {
  let dir: string;
  let store: SqlStore | undefined;
  beforeEach(async () => {
    dir = await makeStateDir();
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('exports while another connection holds the write lock (a read takes no write lock: the daemon keeps writing)', async () => {
    store = await openStore({ stateDir: dir });
    await importRuntimeState(store, firstSliceState(), { sha256: 'test', source: 'test' });
    // A second connection, as the daemon is to `palyrad state export`: it holds the write
    // lock for the whole export. A write-locking export waited out the busy timeout and failed.
    const { default: Database } = await import('better-sqlite3');
    const writer = new Database(store.location);
    try {
      writer.exec('BEGIN IMMEDIATE');
      writer.prepare('INSERT INTO store_meta (key, value) VALUES (?, ?)').run('held', 'yes');
      const exported = await exportRuntimeState(store);
      expect(exported.nodes).toHaveLength(2);
      writer.exec('COMMIT');
    } finally {
      writer.close();
    }
  });

  it('imports a first-slice file once, as it is, and keeps the file byte-identical', async () => {
    const original = firstSliceState();
    const file = await writeStateFile(dir, serializeRuntimeState(original));
    const before = await sha(file);
    store = await openStore({ stateDir: dir });

    const result = await importSeedFileOnce(store, dir);
    expect(result).toMatchObject({ status: 'imported', sha256: before, counts: { pairingCodes: 2, requests: 1, nodes: 2, revoked: 2 } });
    expect(await store.meta.get(SEED_IMPORT_KEY)).toBe(before);

    // The file's records, field for field (lastSeen included; an active code stays active
    // here: the registry ends it when it loads the store, test/e2e/state-store.test.ts).
    expect(await exportRuntimeState(store)).toEqual({
      ...original,
      nodes: [...original.nodes].sort((a, b) => a.deviceId.localeCompare(b.deviceId)),
      revoked: [...original.revoked].sort((a, b) => a.revokedAt.localeCompare(b.revokedAt)),
    });

    // The next start finds it imported: nothing is written again, even over a store that changed since.
    await store.nodes.delete(deviceId(3));
    expect(await importSeedFileOnce(store, dir)).toMatchObject({ status: 'already-imported' });
    expect(await store.nodes.count()).toBe(1);
    expect(await sha(file)).toBe(before);
  });

  it('imports a file of the releases that kept code derivations in it, without them', async () => {
    const state = firstSliceState();
    const withDerivations = {
      ...state,
      pairingCodes: state.pairingCodes.map((c) => ({ ...c, prs: Buffer.alloc(32, 9).toString('base64'), salt: Buffer.alloc(16, 3).toString('base64') })),
    };
    await writeStateFile(dir, `${JSON.stringify(withDerivations)}\n`);
    store = await openStore({ stateDir: dir });
    expect(await importSeedFileOnce(store, dir)).toMatchObject({ status: 'imported' });
    expect((await exportRuntimeState(store)).pairingCodes).toEqual(state.pairingCodes);
    const rows = await store.db.all<{ record: string }>('SELECT record FROM pairing_codes');
    expect(rows.map((r) => r.record).join('')).not.toMatch(/prs|salt/);
  });

  it('refuses a file that was not imported while the store holds other state, and changes nothing', async () => {
    store = await openStore({ stateDir: dir });
    const other = sampleState();
    await importRuntimeState(store, other, { sha256: sha256Hex(Buffer.from('another document')), source: 'test' });
    const file = await writeStateFile(dir, serializeRuntimeState(firstSliceState()));
    const before = await sha(file);
    const error = await expectCode(importSeedFileOnce(store, dir), 'PALYRA_E_STATE_NOT_EMPTY');
    expect(error.message).toContain('1 node, 1 pairing request, 1 pairing code, 1 revoked certificate');
    expect(await exportRuntimeState(store)).toEqual(other);
    expect(await sha(file)).toBe(before);
  });

  it.each([
    ['a corrupt file', '{"version":1,"pairingCodes":[', 0o600, 'PALYRA_E_STATE_CORRUPT'],
    ['a newer file', '{"version":2,"pairingCodes":[],"requests":[],"nodes":[],"revoked":[]}\n', 0o600, 'PALYRA_E_STATE_VERSION'],
    ['a file others can read', serializeRuntimeState(sampleState()), 0o644, 'PALYRA_E_STATE_PERMISSIONS'],
  ])('refuses %s and leaves the store empty', async (_what, content, mode, code) => {
    const file = await writeStateFile(dir, content, mode);
    const before = await sha(file);
    store = await openStore({ stateDir: dir });
    await expectCode(importSeedFileOnce(store, dir), code);
    expect(await store.meta.get(SEED_IMPORT_KEY)).toBeUndefined();
    expect(await exportRuntimeState(store)).toEqual({ version: 1, pairingCodes: [], requests: [], nodes: [], revoked: [] });
    expect(await sha(file)).toBe(before);
  });

  it('exports what it imports: export, import into a fresh store, export again gives the same bytes', async () => {
    store = await openStore({ stateDir: dir });
    const state = firstSliceState();
    await importRuntimeState(store, state, { sha256: sha256Hex(Buffer.from(serializeRuntimeState(state))), source: 'test' });
    const first = serializeRuntimeState(await exportRuntimeState(store));

    const otherDir = await makeStateDir();
    try {
      const other = await openStore({ stateDir: otherDir });
      try {
        const parsed = JSON.parse(first) as RuntimeState;
        await importRuntimeState(other, parsed, { sha256: sha256Hex(Buffer.from(first)), source: 'export' });
        expect(serializeRuntimeState(await exportRuntimeState(other))).toBe(first);
        // A second import into the now non-empty store is refused and changes nothing.
        await expectCode(importRuntimeState(other, sampleState(), { sha256: 'x', source: 'again' }), 'PALYRA_E_STATE_NOT_EMPTY');
        expect(serializeRuntimeState(await exportRuntimeState(other))).toBe(first);
      } finally {
        await other.close();
      }
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});
