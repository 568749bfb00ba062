import * as fsp from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeRegistry, type RevokedCertRecord } from '../../src/registry/index.js';
import { openDaemonRegistry } from '../../src/registry/openDaemonRegistry.js';
import { openStore, type SqlStore } from '../../src/store/index.js';
import {
  FakeClock,
  certificate,
  deviceId,
  failWrites,
  fingerprint,
  makeStateDir,
  newRequest,
  pinCode,
  readStoreState,
  sampleState,
  seedStore,
} from './fixtures.js';
import { rejection } from '../../../test/helpers/errorAssertions.js';
import { capturedLogger } from '../../../test/helpers/capturedLogger.js';

let dir: string;
let clock: FakeClock;
let stores: SqlStore[];

beforeEach(async () => {
  dir = await makeStateDir();
  clock = new FakeClock();
  stores = [];
});
afterEach(async () => {
  for (const store of stores) await store.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

async function openTestStore(): Promise<SqlStore> {
  const store = await openStore({ stateDir: dir });
  stores.push(store);
  return store;
}

describe('a store that cannot be written (real SQLite file, writes refused)', () => {
  it('nodes remove is enforced in memory at once, fails loudly, and is written by the next successful write', async () => {
    const store = await openTestStore();
    const errors: unknown[] = [];
    const registry = await NodeRegistry.open(store, { now: clock.now, onError: (e) => errors.push(e) });
    await registry.addRequest(newRequest(1));
    await registry.approve('req-1', certificate(1));
    const revoked: RevokedCertRecord[] = [];
    registry.onRevoked((r) => revoked.push(r));

    await failWrites(store);
    const error = await rejection(registry.removeNode(deviceId(1), 'removed by operator'));
    expect(error.code).toBe('PALYRA_E_STATE_IO');
    expect(error.message).toContain(`node ${deviceId(1)} was removed and its certificate revoked in memory, but the state store could not record it`);
    expect(errors).toEqual([error]);
    // Enforced: no lookup finds it, its certificate is refused, the listeners (which close its
    // sessions in the daemon) ran.
    expect(registry.getNode(deviceId(1))).toBeUndefined();
    expect(registry.nodeForFingerprint(fingerprint(1))).toBeUndefined();
    expect(registry.isRevoked(fingerprint(1))).toBe(true);
    expect(revoked).toMatchObject([{ fingerprint: fingerprint(1), deviceId: deviceId(1), reason: 'removed by operator' }]);
    // The store still has the node: nothing was written.
    expect((await readStoreState(store)).nodes.map((n) => n.deviceId)).toEqual([deviceId(1)]);
    expect((await readStoreState(store)).revoked).toEqual([]);

    // Once writes work again, the next write records the removal (here the flush on stop).
    await failWrites(store, false);
    await registry.flush();
    const stored = await readStoreState(store);
    expect(stored.nodes).toEqual([]);
    expect(stored.revoked).toMatchObject([{ fingerprint: fingerprint(1), deviceId: deviceId(1) }]);
    const reopened = await NodeRegistry.open(await openTestStore(), { now: clock.now });
    expect(reopened.isRevoked(fingerprint(1))).toBe(true);
    expect(reopened.getNode(deviceId(1))).toBeUndefined();
  });

  it('any other change that cannot be written changes nothing', async () => {
    const store = await openTestStore();
    const registry = await NodeRegistry.open(store, { now: clock.now });
    await registry.addRequest(newRequest(1));
    await failWrites(store);
    expect((await rejection(registry.approve('req-1', certificate(1)))).code).toBe('PALYRA_E_STATE_IO');
    expect((await rejection(registry.addPairingCode(pinCode('a')))).code).toBe('PALYRA_E_STATE_IO');
    expect(registry.findRequest('req-1')?.state).toBe('pending_approval');
    expect(registry.getNode(deviceId(1))).toBeUndefined();
    expect((await rejection(registry.activePinCode())).code).toBe('PALYRA_E_PAIRING_NO_CODE');
  });

  it('the daemon still starts: requests left pending are withdrawn and codes ended in memory, the failed writes logged', async () => {
    const store = await openTestStore();
    const left = sampleState();
    left.pairingCodes = [{ id: 'pin-1', method: 'pin', createdAt: '2025-01-01T00:00:00.000Z', expiresAt: '2025-01-01T00:10:00.000Z', attempts: 0, state: 'active' }];
    left.requests.push({ ...newRequest(2), repair: false, requestedAt: '2025-01-01T00:00:00.000Z', expiresAt: '2025-01-01T00:15:00.000Z', state: 'pending_approval' });
    await seedStore(store, left);
    await failWrites(store);

    const { logger, lines } = capturedLogger();
    const registry = await openDaemonRegistry(store, { logger, now: clock.now });
    // Serves what it can: the registered node, the revocations...
    expect(registry.getNode(deviceId(1))?.name).toBe('node-1');
    expect(registry.isRevoked(fingerprint(99))).toBe(true);
    // ...and the leftovers are settled in memory all the same: the pending request can never
    // be approved, the code never used.
    expect(registry.findRequest('req-2')?.state).toBe('expired');
    expect((await rejection(registry.approve('req-2', certificate(2)))).code).toBe('PALYRA_E_REQUEST_NOT_FOUND');
    expect((await rejection(registry.activePinCode())).code).toBe('PALYRA_E_PAIRING_CODE_EXPIRED');
    const failures = lines().filter((line) => line.code === 'PALYRA_E_STATE_IO');
    expect(failures.map((line) => line.msg)).toEqual([
      'node registry: a write failed',
      'start-up: withdrawing the pairing requests left pending could not be recorded in the state store; serving anyway',
      'start-up: ending the pairing codes of the previous run could not be recorded in the state store; serving anyway',
    ]);

    await failWrites(store, false);
    await registry.flush();
    const stored = await readStoreState(store);
    expect(stored.requests.find((r) => r.requestId === 'req-2')?.state).toBe('expired');
    expect(stored.pairingCodes).toMatchObject([{ id: 'pin-1', state: 'expired' }]);
  });

  it('other failures still stop the start', async () => {
    const store = await openTestStore();
    const error = await rejection(openDaemonRegistry(store, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('PALYRA_E_CANCELLED');
  });
});

describe('rows that fail validation at load', () => {
  it('are PALYRA_E_STATE_CORRUPT naming the table and the row, never dropped', async () => {
    const store = await openTestStore();
    const state = sampleState();
    await seedStore(store, state);
    await store.db.run(`UPDATE nodes SET record = ? WHERE device_id = ?`, [JSON.stringify({ ...state.nodes[0], certFingerprint: 'xyz' }), deviceId(1)]);
    let error = await rejection(NodeRegistry.open(store));
    expect(error.code).toBe('PALYRA_E_STATE_CORRUPT');
    expect(error.message).toContain(`nodes row "${deviceId(1)}".certFingerprint`);

    await store.db.run(`UPDATE nodes SET record = ? WHERE device_id = ?`, ['{not json', deviceId(1)]);
    error = await rejection(NodeRegistry.open(store));
    expect(error.code).toBe('PALYRA_E_STATE_CORRUPT');
    expect(error.message).toContain(`nodes row "${deviceId(1)}"`);

    await store.db.run(`UPDATE nodes SET record = ? WHERE device_id = ?`, [JSON.stringify(state.nodes[0]), deviceId(1)]);
    await store.db.run(`UPDATE revoked_certs SET revoked_at = 'yesterday'`);
    error = await rejection(NodeRegistry.open(store));
    expect(error.message).toContain(`revoked_certs row "${fingerprint(99)}".revokedAt`);

    await store.db.run(`UPDATE revoked_certs SET revoked_at = '2025-01-01T00:00:00.000Z'`);
    const pin = (id: string) => ({ id, method: 'pin' as const, createdAt: '2025-01-01T00:00:00.000Z', expiresAt: '2025-01-01T00:10:00.000Z', attempts: 0, state: 'active' as const });
    await store.pairingCodes.upsert(pin('p1'));
    await store.pairingCodes.upsert(pin('p2'));
    error = await rejection(NodeRegistry.open(store));
    expect(error.message).toContain('pairing_codes row "p2": a second active PIN code (row "p1" is one too)');
  });
});
