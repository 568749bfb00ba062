import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, SQLITE_STORE_FILE } from '../../src/store/index.js';

describe('SQLite store (smoke)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'palyra-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a 0600 database, migrates, and round-trips a node and a dispatch', async () => {
    const store = await openStore({ stateDir: dir });
    try {
      await store.transaction(async (repos) => {
        await repos.nodes.upsert({
          deviceId: 'A', name: 'n', platform: 'linux', hostname: 'h', agentVersion: '1', capabilities: [], labels: {},
          ed25519PublicKey: 'k', x25519PublicKey: 'x', certFingerprint: 'f', certExpiresAt: '2027-01-01T00:00:00.000Z',
          pairedAt: '2026-01-01T00:00:00.000Z', lastSeen: null,
        });
        await repos.dispatches.insert({
          id: 'D1', deviceId: 'A', capability: 'c', caller: 'local', idempotencyKey: 'k1', inputHash: 'h', inputJson: '{}',
          state: 'queued', createdAt: 1, deadlineAt: 2, sentAt: null, finishedAt: null, resultJson: null,
        });
      });
      await store.nodes.setLastSeen([{ deviceId: 'A', lastSeen: '2026-02-01T00:00:00.000Z' }]);
      expect((await store.nodes.all())[0]?.lastSeen).toBe('2026-02-01T00:00:00.000Z');
      expect((await store.dispatches.findByKey('A', 'k1'))?.id).toBe('D1');
      expect(await store.dispatches.finish('D1', 'succeeded', '{}', 3)).toBe(true);
      expect(await store.dispatches.finish('D1', 'failed', '{}', 4)).toBe(false);
      expect((await store.dispatches.get('D1'))?.inputJson).toBeNull();
      expect((await stat(path.join(dir, SQLITE_STORE_FILE))).mode & 0o777).toBe(0o600);
      expect((await stat(path.join(dir, `${SQLITE_STORE_FILE}-wal`))).mode & 0o777).toBe(0o600);
    } finally {
      await store.close();
    }
    const again = await openStore({ stateDir: dir });
    expect(await again.nodes.count()).toBe(1);
    await again.close();
  });
});
