import { describe, expect, it } from 'vitest';
import { PalyraError } from '@palyra/shared/errors';
import { migrate, MIGRATIONS, openStore, SCHEMA_VERSION, schemaVersionOf, type Migration } from '../../src/store/index.js';
import { STORE_ENGINES, useStoreEngine } from './storeEngines.js';

describe.each(STORE_ENGINES)('store migrations on %s', (engine) => {
  const fixture = useStoreEngine(engine);

  it('a fresh store is migrated to the current schema, once', async () => {
    const location = await fixture.location();
    const store = await fixture.open(location);
    expect(store.engine).toBe(engine);
    expect(await schemaVersionOf(store.db)).toBe(SCHEMA_VERSION);
    expect(await store.db.all('SELECT version, name FROM palyra_schema ORDER BY version')).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
    // Migrating again applies nothing.
    expect(await migrate(store.db, store.location)).toEqual([]);
    await store.nodes.upsert({
      deviceId: 'A', name: 'n', platform: 'linux', hostname: 'h', agentVersion: '1', capabilities: [], labels: {},
      ed25519PublicKey: 'k', x25519PublicKey: 'x', certFingerprint: 'f', certExpiresAt: '2027-01-01T00:00:00.000Z',
      pairedAt: '2026-01-01T00:00:00.000Z', lastSeen: null,
    });
    await store.close();

    // Re-opening keeps the data and the schema rows as they were.
    const again = await fixture.open(location);
    expect(await again.nodes.count()).toBe(1);
    expect((await again.db.all('SELECT version FROM palyra_schema')).length).toBe(MIGRATIONS.length);
  });

  it('migration 2 upgrades a version-1 store in place: revocations kept, without expiresAt, new ones with it', async () => {
    const location = await fixture.location();
    const store = await fixture.open(location);
    // Back to what a version-1 store looks like, with a revocation written then.
    await store.db.run('ALTER TABLE nodes DROP COLUMN operator_labels');
    await store.db.run('DROP TABLE api_tokens');
    await store.db.run('ALTER TABLE revoked_certs DROP COLUMN expires_at');
    await store.db.run('DELETE FROM palyra_schema WHERE version >= 2');
    await store.db.run('INSERT INTO revoked_certs (fingerprint, device_id, revoked_at, reason) VALUES (?, ?, ?, ?)', ['f1', 'A', '2026-01-01T00:00:00.000Z', 'removed']);
    expect(await schemaVersionOf(store.db)).toBe(1);
    await store.close();

    const upgraded = await fixture.open(location);
    expect(await schemaVersionOf(upgraded.db)).toBe(SCHEMA_VERSION);
    await upgraded.revocations.add({ fingerprint: 'f2', deviceId: 'B', revokedAt: '2026-01-02T00:00:00.000Z', reason: 'renewed', expiresAt: '2026-01-03T00:00:00.000Z' });
    expect(await upgraded.revocations.all()).toEqual([
      { fingerprint: 'f1', deviceId: 'A', revokedAt: '2026-01-01T00:00:00.000Z', reason: 'removed' },
      { fingerprint: 'f2', deviceId: 'B', revokedAt: '2026-01-02T00:00:00.000Z', reason: 'renewed', expiresAt: '2026-01-03T00:00:00.000Z' },
    ]);
  });

  it('migration 3 adds api_tokens to a version-2 store, its data kept', async () => {
    const location = await fixture.location();
    const store = await fixture.open(location);
    await store.db.run('ALTER TABLE nodes DROP COLUMN operator_labels');
    await store.db.run('DROP TABLE api_tokens');
    await store.db.run('DELETE FROM palyra_schema WHERE version >= 3');
    await store.revocations.add({ fingerprint: 'f1', deviceId: 'A', revokedAt: '2026-01-01T00:00:00.000Z', reason: 'removed' });
    expect(await schemaVersionOf(store.db)).toBe(2);
    await store.close();

    const upgraded = await fixture.open(location);
    expect(await schemaVersionOf(upgraded.db)).toBe(SCHEMA_VERSION);
    expect(await upgraded.revocations.all()).toHaveLength(1);
    expect(await upgraded.tokens.all()).toEqual([]);
  });

  it('migration 4 adds operator labels to a version-3 store: its nodes kept without any, then stored beside the record', async () => {
    const location = await fixture.location();
    const store = await fixture.open(location);
    await store.db.run('ALTER TABLE nodes DROP COLUMN operator_labels');
    await store.db.run('DELETE FROM palyra_schema WHERE version >= 4');
    const node = {
      deviceId: 'A', name: 'n', platform: 'linux', hostname: 'h', agentVersion: '1', capabilities: [], labels: { role: 'web' },
      ed25519PublicKey: 'k', x25519PublicKey: 'x', certFingerprint: 'f', certExpiresAt: '2027-01-01T00:00:00.000Z',
      pairedAt: '2026-01-01T00:00:00.000Z', lastSeen: null,
    };
    await store.db.run('INSERT INTO nodes (device_id, cert_fingerprint, name, record, last_seen) VALUES (?, ?, ?, ?, ?)', ['A', 'f', 'n', JSON.stringify(node), null]);
    expect(await schemaVersionOf(store.db)).toBe(3);
    await store.close();

    const upgraded = await fixture.open(location);
    expect(await schemaVersionOf(upgraded.db)).toBe(SCHEMA_VERSION);
    expect(await upgraded.nodes.all()).toEqual([node]);
    await upgraded.nodes.upsert({ ...node, operatorLabels: { env: 'prod' } });
    expect(await upgraded.nodes.all()).toEqual([{ ...node, operatorLabels: { env: 'prod' } }]);
    // Kept in their own column, not in the record a node's re-registration rewrites.
    const [row] = await upgraded.db.all<{ record: string; operator_labels: string }>('SELECT record, operator_labels FROM nodes');
    expect(JSON.parse(row!.record)).not.toHaveProperty('operatorLabels');
    expect(JSON.parse(row!.operator_labels)).toEqual({ env: 'prod' });
    await upgraded.nodes.upsert(node);
    expect(await upgraded.nodes.all()).toEqual([node]);
  });

  it('a store of a newer schema is refused with PALYRA_E_STATE_VERSION and left untouched', async () => {
    const location = await fixture.location();
    const store = await fixture.open(location);
    await store.meta.set('written-by', 'a newer palyrad');
    await store.db.run('INSERT INTO palyra_schema (version, name, applied_at) VALUES (?, ?, ?)', [SCHEMA_VERSION + 1, 'from the future', '2030-01-01T00:00:00.000Z']);
    await store.close();
    const before = await fixture.fingerprint(location);

    const refused = await openStore(location).then(
      async (opened) => {
        await opened.close();
        throw new Error('a newer schema was opened');
      },
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(PalyraError);
    expect(refused).toMatchObject({ code: 'PALYRA_E_STATE_VERSION', details: { version: SCHEMA_VERSION + 1, expected: SCHEMA_VERSION } });
    expect((refused as PalyraError).message).toContain('was not modified');
    expect(await fixture.fingerprint(location)).toBe(before);
  });

  it('a migration that fails half-way is rolled back whole: no table, no version row', async () => {
    const store = await fixture.open();
    const broken: Migration = {
      version: SCHEMA_VERSION + 1,
      name: 'half-way',
      statements: ['CREATE TABLE half_way (id TEXT PRIMARY KEY)', 'INSERT INTO half_way (id) VALUES (1, 2)'],
    };
    await expect(migrate(store.db, store.location, { migrations: [...MIGRATIONS, broken] })).rejects.toBeInstanceOf(PalyraError);
    expect(await schemaVersionOf(store.db)).toBe(SCHEMA_VERSION);
    await expect(store.db.all('SELECT id FROM half_way')).rejects.toBeInstanceOf(PalyraError);
    // The store still works: the failed transaction did not stay open.
    await store.meta.set('k', 'v');
    expect(await store.meta.get('k')).toBe('v');
  });

  it('openers of one fresh store at once migrate it once (PostgreSQL: the advisory lock; SQLite: BEGIN IMMEDIATE)', async () => {
    const location = await fixture.location();
    const stores = await Promise.all([openStore(location), openStore(location), openStore(location)]);
    try {
      const rows = await stores[0].db.all('SELECT version FROM palyra_schema');
      expect(rows.length).toBe(MIGRATIONS.length);
      for (const store of stores) expect(await schemaVersionOf(store.db)).toBe(SCHEMA_VERSION);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
