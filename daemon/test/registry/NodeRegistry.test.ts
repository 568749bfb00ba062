import * as fsp from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  MAX_PIN_ATTEMPTS,
  NodeRegistry,
  type NodeRegistryOptions,
  type PairingRequestRecord,
  type RevokedCertRecord,
} from '../../src/registry/index.js';
import { openStore, SQLITE_STORE_FILE, type SqlStore } from '../../src/store/index.js';
import {
  FakeClock,
  StatementCounter,
  certificate,
  deviceId,
  fingerprint,
  key32,
  makeStateDir,
  newRequest,
  failWrites,
  pinCode,
  readStoreState,
} from './fixtures.js';
import { rejection } from '../../../test/helpers/errorAssertions.js';

const MINUTE = 60_000;

let dir: string;
let clock: FakeClock;
let registries: NodeRegistry[];
/** The store of the registry opened last (each open() is a restart: a new connection to the same file). */
let store: SqlStore;
let stores: SqlStore[];

beforeEach(async () => {
  dir = await makeStateDir();
  clock = new FakeClock();
  registries = [];
  stores = [];
});
afterEach(async () => {
  for (const registry of registries) await registry.flush().catch(() => undefined);
  for (const opened of stores) await opened.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

async function openTestStore(): Promise<SqlStore> {
  store = await openStore({ stateDir: dir });
  stores.push(store);
  return store;
}

async function open(options: NodeRegistryOptions = {}): Promise<NodeRegistry> {
  const registry = await NodeRegistry.open(await openTestStore(), { now: clock.now, lastSeenFlushMs: 60 * MINUTE, ...options });
  registries.push(registry);
  return registry;
}

/** The database file and its WAL, as bytes anyone who copies the state dir would get. */
async function databaseBytes(): Promise<string> {
  const read = (name: string) => fsp.readFile(`${dir}/${name}`).then((b) => b.toString('latin1'), () => '');
  return (await read(SQLITE_STORE_FILE)) + (await read(`${SQLITE_STORE_FILE}-wal`));
}

/** A registry with node `n` paired and approved. */
async function withNode(n = 1): Promise<NodeRegistry> {
  const registry = await open();
  await registry.addRequest(newRequest(n));
  await registry.approve(`req-${n}`, certificate(n));
  return registry;
}

describe('pairing codes', () => {
  it('adds an active code with defaults, persisted before it resolves', async () => {
    const registry = await open();
    const { code, superseded } = await registry.addPairingCode(pinCode('a'));
    expect(superseded).toBe(false);
    expect(code).toMatchObject({ id: 'a', state: 'active', attempts: 0, createdAt: '2025-01-01T00:00:00.000Z', expiresAt: '2025-01-01T00:10:00.000Z' });
    expect((await readStoreState(store)).pairingCodes).toEqual([code]);
    expect(await registry.activePinCode()).toEqual({ ...code, prs: pinCode('a').prs, salt: pinCode('a').salt });
  });

  it("keeps a code's derivation (prs, salt) out of the state file: memory only", async () => {
    const registry = await open();
    const input = { ...pinCode('a'), prs: Buffer.alloc(32, 0xab).toString('base64'), salt: Buffer.alloc(16, 0xcd).toString('base64') };
    await registry.addPairingCode(input);
    await registry.recordAttempt('a');
    const bytes = await databaseBytes();
    expect(bytes).toContain('"id":"a"');
    expect(bytes).not.toContain(input.prs);
    expect(bytes).not.toContain(input.salt);
    expect(Object.keys((await readStoreState(store)).pairingCodes[0] ?? {}).sort()).toEqual(['attempts', 'createdAt', 'expiresAt', 'id', 'method', 'state']);
    expect(await registry.activePinCode()).toMatchObject({ id: 'a', prs: input.prs, salt: input.salt, attempts: 1 });
  });

  it('a restart ends active codes (their derivation is gone), in the store too', async () => {
    const registry = await open();
    await registry.addPairingCode(pinCode('a'));
    await registry.addPairingCode({ ...pinCode('q'), method: 'qr' });
    clock.advance(MINUTE);
    const reopened = await open();
    const error = await rejection(reopened.activePinCode());
    expect(error.code).toBe('PALYRA_E_PAIRING_CODE_EXPIRED');
    expect(error.message).toContain('2025-01-01T00:01:00.000Z (codes also end when the daemon restarts)');
    expect((await rejection(reopened.findActiveCode('q'))).code).toBe('PALYRA_E_PAIRING_CODE_EXPIRED');

    // In memory at once; in the store with the next write (the daemon flushes at start).
    expect((await readStoreState(store)).pairingCodes.map((c) => c.state)).toEqual(['active', 'active']);
    await reopened.flush();
    expect((await readStoreState(store)).pairingCodes).toMatchObject([
      { id: 'a', state: 'expired', expiresAt: '2025-01-01T00:01:00.000Z' },
      { id: 'q', state: 'expired', expiresAt: '2025-01-01T00:01:00.000Z' },
    ]);
    await reopened.addPairingCode(pinCode('new'));
    expect((await reopened.activePinCode()).id).toBe('new');
  });

  it('a new PIN supersedes the active PIN; a QR code does not', async () => {
    const registry = await open();
    await registry.addPairingCode(pinCode('a'));
    expect((await registry.addPairingCode({ ...pinCode('q'), method: 'qr' })).superseded).toBe(false);
    expect((await registry.addPairingCode(pinCode('b'))).superseded).toBe(true);
    const codes = (await readStoreState(store)).pairingCodes;
    expect(codes.map((c) => [c.id, c.state])).toEqual([['a', 'superseded'], ['b', 'active'], ['q', 'active']]);
    expect((await registry.activePinCode()).id).toBe('b');
    // A superseded PIN stays open to exchanges that name it, counted against it alone, and
    // never pairs.
    expect(registry.supersededPinCandidates()).toEqual(['a']);
    expect(await registry.pinCodeForExchange('a')).toMatchObject({ id: 'a', state: 'superseded', prs: pinCode('a').prs });
    expect(await registry.recordAttempt('a')).toMatchObject({ id: 'a', attempts: 1, state: 'superseded' });
    expect((await registry.activePinCode()).attempts).toBe(0);
    const error = await rejection(registry.consumeCode('a'));
    expect(error.code).toBe('PALYRA_E_PAIRING_NO_CODE');
    expect(error.message).toContain('replaced by a newer one');
    for (let i = 1; i < MAX_PIN_ATTEMPTS; i++) await registry.recordAttempt('a');
    expect(registry.supersededPinCandidates()).toEqual([]);
    expect((await rejection(registry.pinCodeForExchange('a'))).message).toContain('replaced by a newer one');
    expect((await rejection(registry.recordAttempt('a'))).code).toBe('PALYRA_E_PAIRING_NO_CODE');
    expect((await rejection(registry.pinCodeForExchange('q'))).message).toContain('no PIN pairing code has this id');
  });

  it('offers at most the 3 newest superseded PINs, unexpired, and keeps derivations for those only', async () => {
    const registry = await open();
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      await registry.addPairingCode(pinCode(id));
      clock.advance(1000);
    }
    expect(registry.supersededPinCandidates()).toEqual(['d', 'c', 'b']);
    expect((await rejection(registry.pinCodeForExchange('a'))).code).toBe('PALYRA_E_PAIRING_NO_CODE');
    clock.advance(10 * MINUTE);
    expect(registry.supersededPinCandidates()).toEqual([]);
  });

  it('a new PIN marks an active PIN past its expiry expired, not superseded', async () => {
    const registry = await open();
    await registry.addPairingCode(pinCode('a'));
    clock.advance(11 * MINUTE);
    expect((await registry.addPairingCode(pinCode('b'))).superseded).toBe(false);
    expect((await readStoreState(store)).pairingCodes[0]!.state).toBe('expired');
  });

  it('no code at all: PALYRA_E_PAIRING_NO_CODE', async () => {
    const registry = await open();
    expect((await rejection(registry.activePinCode())).code).toBe('PALYRA_E_PAIRING_NO_CODE');
    expect((await rejection(registry.recordAttempt('nope'))).code).toBe('PALYRA_E_PAIRING_NO_CODE');
    expect((await rejection(registry.findActiveCode('nope'))).code).toBe('PALYRA_E_PAIRING_NO_CODE');
  });

  it('an expired active code is marked expired and persisted, then refused', async () => {
    const registry = await open();
    await registry.addPairingCode(pinCode('a'), {});
    clock.advance(10 * MINUTE);
    const error = await rejection(registry.activePinCode());
    expect(error.code).toBe('PALYRA_E_PAIRING_CODE_EXPIRED');
    expect(error.message).toContain('2025-01-01T00:10:00.000Z');
    expect((await readStoreState(store)).pairingCodes[0]!.state).toBe('expired');
    expect((await rejection(registry.activePinCode())).code).toBe('PALYRA_E_PAIRING_CODE_EXPIRED');
    expect((await rejection(registry.findActiveCode('a'))).code).toBe('PALYRA_E_PAIRING_CODE_EXPIRED');
    expect((await rejection(registry.recordAttempt('a'))).code).toBe('PALYRA_E_PAIRING_CODE_EXPIRED');
    expect((await rejection(registry.consumeCode('a'))).code).toBe('PALYRA_E_PAIRING_CODE_EXPIRED');
  });

  it('honours ttlMs and an explicit expiresAt', async () => {
    const registry = await open();
    expect((await registry.addPairingCode({ ...pinCode('a'), ttlMs: MINUTE })).code.expiresAt).toBe('2025-01-01T00:01:00.000Z');
    const expiresAt = '2025-01-01T00:05:00.000Z';
    expect((await registry.addPairingCode({ ...pinCode('b'), expiresAt })).code.expiresAt).toBe(expiresAt);
  });

  it('refuses malformed or duplicate codes without writing', async () => {
    const registry = await open();
    expect((await rejection(registry.addPairingCode({ ...pinCode('a'), prs: 'not base64' }))).message).toContain('code.prs');
    expect((await rejection(registry.addPairingCode({ ...pinCode('a'), ttlMs: -1 }))).code).toBe('PALYRA_E_INVALID_ARGUMENT');
    expect((await readStoreState(store)).pairingCodes).toEqual([]);
    await registry.addPairingCode(pinCode('a'));
    expect((await rejection(registry.addPairingCode(pinCode('a')))).code).toBe('PALYRA_E_INVALID_ARGUMENT');
  });

  it(`counts attempts and burns the code at ${MAX_PIN_ATTEMPTS}`, async () => {
    const registry = await open();
    await registry.addPairingCode(pinCode('a'));
    for (let i = 1; i < MAX_PIN_ATTEMPTS; i++) {
      expect(await registry.recordAttempt('a')).toMatchObject({ attempts: i, state: 'active' });
      expect((await readStoreState(store)).pairingCodes[0]!.attempts).toBe(i);
    }
    expect(await registry.recordAttempt('a')).toMatchObject({ attempts: MAX_PIN_ATTEMPTS, state: 'burned' });
    expect((await readStoreState(store)).pairingCodes[0]!.state).toBe('burned');
    const error = await rejection(registry.recordAttempt('a'));
    expect(error.code).toBe('PALYRA_E_PAIRING_CODE_BURNED');
    expect((await rejection(registry.activePinCode())).code).toBe('PALYRA_E_PAIRING_CODE_BURNED');
    expect((await readStoreState(store)).pairingCodes[0]!.attempts).toBe(MAX_PIN_ATTEMPTS);
  });

  it('the attempt that burned the code may still complete', async () => {
    const registry = await open();
    await registry.addPairingCode(pinCode('a'));
    for (let i = 0; i < MAX_PIN_ATTEMPTS; i++) await registry.recordAttempt('a');
    expect(await registry.consumeCode('a')).toMatchObject({ state: 'used' });
  });

  it('concurrent attempts: exactly MAX_PIN_ATTEMPTS are counted', async () => {
    const registry = await open();
    await registry.addPairingCode(pinCode('a'));
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => registry.recordAttempt('a')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(MAX_PIN_ATTEMPTS);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'PALYRA_E_PAIRING_CODE_BURNED' });
    }
  });

  it('a used code is refused', async () => {
    const registry = await open();
    await registry.addPairingCode(pinCode('a'));
    await registry.recordAttempt('a');
    expect(await registry.consumeCode('a')).toMatchObject({ state: 'used', attempts: 1 });
    expect((await readStoreState(store)).pairingCodes[0]!.state).toBe('used');
    expect((await rejection(registry.consumeCode('a'))).code).toBe('PALYRA_E_PAIRING_CODE_USED');
    expect((await rejection(registry.recordAttempt('a'))).code).toBe('PALYRA_E_PAIRING_CODE_USED');
    expect((await rejection(registry.activePinCode())).code).toBe('PALYRA_E_PAIRING_CODE_USED');
  });

  it('returns frozen records', async () => {
    const registry = await open();
    const { code } = await registry.addPairingCode(pinCode('a'));
    expect(Object.isFrozen(code)).toBe(true);
    expect(Object.isFrozen(await registry.activePinCode())).toBe(true);
  });
});

describe('pairing requests', () => {
  it('adds a pending request and tells listeners after persisting it', async () => {
    const registry = await open();
    const seen: PairingRequestRecord[] = [];
    registry.onRequestChange((r) => seen.push(r));
    const request = await registry.addRequest({ ...newRequest(1), repair: true, state: 'pending_approval' });
    expect(request).toMatchObject({
      state: 'pending_approval',
      repair: false,
      requestedAt: '2025-01-01T00:00:00.000Z',
      expiresAt: '2025-01-01T00:15:00.000Z',
    });
    expect(request.decidedAt).toBeUndefined();
    expect(seen).toEqual([request]);
    expect((await readStoreState(store)).requests).toEqual([request]);
    expect(await registry.pendingRequests()).toEqual([request]);
  });

  it('finds a request by id (any state) or the pending one by deviceId', async () => {
    const registry = await open();
    await registry.addRequest(newRequest(1));
    expect(registry.findRequest('req-1')?.requestId).toBe('req-1');
    expect(registry.findRequest(deviceId(1))?.requestId).toBe('req-1');
    // One spelling per device id: lower case is not it (isValidDeviceId refuses it too).
    expect(registry.findRequest(deviceId(1).toLowerCase())).toBeUndefined();
    expect(registry.findRequest('nope')).toBeUndefined();
    await registry.reject(deviceId(1));
    expect(registry.findRequest('req-1')?.state).toBe('rejected');
    expect(registry.findRequest(deviceId(1))).toBeUndefined();
  });

  it('approve stores the certificate and registers the node', async () => {
    const registry = await open();
    const seen: PairingRequestRecord[] = [];
    registry.onRequestChange((r) => seen.push(r));
    await registry.addRequest(newRequest(1));
    clock.advance(MINUTE);
    const approved = await registry.approve(deviceId(1), certificate(1));
    expect(approved).toMatchObject({ state: 'approved', decidedAt: '2025-01-01T00:01:00.000Z', certificate: certificate(1).certDer });
    expect(seen.map((r) => r.state)).toEqual(['pending_approval', 'approved']);
    const node = registry.getNode(deviceId(1));
    expect(node).toEqual({
      deviceId: deviceId(1),
      name: 'node-1',
      platform: 'linux-x64',
      hostname: 'host-1',
      agentVersion: '0.1.0',
      capabilities: ['fs.read'],
      labels: {},
      ed25519PublicKey: key32(1),
      x25519PublicKey: key32(101),
      certFingerprint: fingerprint(1),
      certExpiresAt: '2025-02-01T00:00:00.000Z',
      // Issue 15: the start of the lifetime certificate states measure (else a short-lived
      // certificate looks expiring from the start).
      certIssuedAt: '2025-01-01T00:01:00.000Z',
      pairedAt: '2025-01-01T00:01:00.000Z',
      lastSeen: null,
    });
    expect(registry.nodeForFingerprint(fingerprint(1))).toEqual(node);
    expect(registry.nodeForFingerprint(fingerprint(1).toUpperCase())).toEqual(node);
    expect(registry.listNodes()).toEqual([node]);
    const file = await readStoreState(store);
    expect(file.nodes).toEqual([node]);
    expect(file.requests).toEqual([approved]);
    expect(await registry.pendingRequests()).toEqual([]);
  });

  it('approve refuses an identity change (registered device id, another key) unless replaceIdentity; the request stays pending', async () => {
    const registry = await withNode(1);
    await registry.addRequest(newRequest(2, { deviceId: deviceId(1), ed25519PublicKey: key32(7) }));
    const request = registry.findRequest('req-2');
    expect(request).toMatchObject({ repair: false, state: 'pending_approval' });
    const change = registry.identityChangeOf(request as PairingRequestRecord);
    expect(change?.previousKeyFingerprint).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(change?.keyFingerprint).not.toBe(change?.previousKeyFingerprint);
    const error = await rejection(registry.approve('req-2', certificate(2)));
    expect(error.code).toBe('PALYRA_E_IDENTITY_CHANGE');
    expect(error.message).toContain('--replace-identity');
    expect(registry.findRequest('req-2')?.state).toBe('pending_approval');
    expect(registry.getNode(deviceId(1))?.certFingerprint).toBe(fingerprint(1));

    await registry.approve('req-2', certificate(2), { replaceIdentity: true });
    expect(registry.getNode(deviceId(1))).toMatchObject({ ed25519PublicKey: key32(7), certFingerprint: fingerprint(2) });
    expect(registry.isRevoked(fingerprint(1))).toBe(true);
    // The same key again is a re-pair, not an identity change.
    await registry.addRequest(newRequest(3, { deviceId: deviceId(1), ed25519PublicKey: key32(7) }));
    expect(registry.findRequest('req-3')?.repair).toBe(true);
    expect(registry.identityChangeOf(registry.findRequest('req-3') as PairingRequestRecord)).toBeUndefined();
    await registry.approve('req-3', certificate(3));
  });

  it('approve takes notAfter as a Date', async () => {
    const registry = await open();
    await registry.addRequest(newRequest(1));
    await registry.approve('req-1', { ...certificate(1), notAfter: new Date('2025-03-01T00:00:00Z') });
    expect(registry.getNode(deviceId(1))?.certExpiresAt).toBe('2025-03-01T00:00:00.000Z');
  });

  it('approve refuses a malformed certificate and changes nothing', async () => {
    const registry = await open();
    await registry.addRequest(newRequest(1));
    const error = await rejection(registry.approve('req-1', { ...certificate(1), fingerprint: 'xyz' }));
    expect(error.code).toBe('PALYRA_E_INVALID_ARGUMENT');
    expect(error.message).toContain('certFingerprint');
    expect(registry.findRequest('req-1')?.state).toBe('pending_approval');
    expect(registry.listNodes()).toEqual([]);
    expect((await readStoreState(store)).requests[0]!.state).toBe('pending_approval');
  });

  it('reject decides the request and registers nothing', async () => {
    const registry = await open();
    const seen: string[] = [];
    registry.onRequestChange((r) => seen.push(r.state));
    await registry.addRequest(newRequest(1));
    expect(await registry.reject('req-1')).toMatchObject({ state: 'rejected', decidedAt: '2025-01-01T00:00:00.000Z' });
    expect(seen).toEqual(['pending_approval', 'rejected']);
    expect(registry.listNodes()).toEqual([]);
    expect((await readStoreState(store)).requests[0]!.state).toBe('rejected');
  });

  it('withdrawRequests expires the given pending requests (or all), now, and leaves decided ones alone', async () => {
    const registry = await withNode(1);
    const seen: string[] = [];
    registry.onRequestChange((r) => seen.push(`${r.requestId}:${r.state}`));
    await registry.addRequest(newRequest(2));
    await registry.addRequest(newRequest(3));
    await registry.addRequest(newRequest(4));

    const some = await registry.withdrawRequests(['req-2', 'req-1', 'nope']);
    expect(some.map((r) => [r.requestId, r.state, r.decidedAt])).toEqual([['req-2', 'expired', '2025-01-01T00:00:00.000Z']]);
    expect(registry.findRequest('req-1')?.state).toBe('approved');
    expect((await registry.pendingRequests()).map((r) => r.requestId)).toEqual(['req-3', 'req-4']);

    const rest = await registry.withdrawRequests();
    expect(rest.map((r) => r.requestId)).toEqual(['req-3', 'req-4']);
    expect(await registry.pendingRequests()).toEqual([]);
    expect(await registry.withdrawRequests()).toEqual([]);
    expect(seen).toEqual(['req-2:pending_approval', 'req-3:pending_approval', 'req-4:pending_approval', 'req-2:expired', 'req-3:expired', 'req-4:expired']);
    const stored = (await readStoreState(store)).requests.map((r) => `${r.requestId}:${r.state}`);
    expect(stored).toEqual(['req-1:approved', 'req-2:expired', 'req-3:expired', 'req-4:expired']);
    const error = await rejection(registry.approve('req-3', certificate(3)));
    expect(error.code).toBe('PALYRA_E_REQUEST_NOT_FOUND');
  });

  it('deciding a request that is not pending: PALYRA_E_REQUEST_NOT_FOUND saying why', async () => {
    const registry = await withNode(1);
    await registry.addRequest(newRequest(2));
    await registry.reject('req-2');
    let error = await rejection(registry.approve('req-1', certificate(5)));
    expect(error.code).toBe('PALYRA_E_REQUEST_NOT_FOUND');
    expect(error.message).toContain('it was approved at');
    error = await rejection(registry.reject('req-2'));
    expect(error.message).toContain('it was rejected at');
    error = await rejection(registry.reject('nope'));
    expect(error.code).toBe('PALYRA_E_REQUEST_NOT_FOUND');
    expect(error.message).toContain('palyrad nodes pending');
  });

  it('expires stale requests: expireRequests, pendingRequests, and deciding one', async () => {
    const registry = await open();
    const seen: string[] = [];
    registry.onRequestChange((r) => seen.push(`${r.requestId}:${r.state}`));
    await registry.addRequest(newRequest(1, { ttlMs: MINUTE }));
    await registry.addRequest(newRequest(2, { ttlMs: 2 * MINUTE }));
    await registry.addRequest(newRequest(3, { ttlMs: 3 * MINUTE }));
    clock.advance(MINUTE);
    expect((await registry.expireRequests()).map((r) => r.requestId)).toEqual(['req-1']);
    expect(await registry.expireRequests()).toEqual([]);
    clock.advance(MINUTE);
    expect((await registry.pendingRequests()).map((r) => r.requestId)).toEqual(['req-3']);
    clock.advance(MINUTE);
    const error = await rejection(registry.approve('req-3', certificate(3)));
    expect(error.code).toBe('PALYRA_E_REQUEST_NOT_FOUND');
    expect(error.message).toContain('expired at 2025-01-01T00:03:00.000Z');
    expect(seen.slice(3)).toEqual(['req-1:expired', 'req-2:expired', 'req-3:expired']);
    const file = await readStoreState(store);
    expect(file.requests.map((r) => [r.state, r.decidedAt])).toEqual([
      ['expired', '2025-01-01T00:01:00.000Z'],
      ['expired', '2025-01-01T00:02:00.000Z'],
      ['expired', '2025-01-01T00:03:00.000Z'],
    ]);
    expect(registry.listNodes()).toEqual([]);
  });

  it('a new request of the same device replaces its pending one', async () => {
    const registry = await open();
    await registry.addRequest(newRequest(1));
    await registry.addRequest(newRequest(1, { requestId: 'req-1b' }));
    expect(registry.findRequest('req-1')?.state).toBe('expired');
    expect(registry.findRequest(deviceId(1))?.requestId).toBe('req-1b');
  });

  it('refuses a duplicate requestId or malformed request', async () => {
    const registry = await open();
    await registry.addRequest(newRequest(1));
    expect((await rejection(registry.addRequest(newRequest(2, { requestId: 'req-1' })))).code).toBe('PALYRA_E_INVALID_ARGUMENT');
    const error = await rejection(registry.addRequest(newRequest(3, { deviceId: 'not-a-ulid' })));
    expect(error.code).toBe('PALYRA_E_INVALID_ARGUMENT');
    expect(error.message).toContain('request.deviceId');
    expect((await readStoreState(store)).requests).toHaveLength(1);
  });

  it('flags a re-pair of a known identity key', async () => {
    const registry = await withNode(1);
    expect((await registry.addRequest(newRequest(1, { requestId: 'again' }))).repair).toBe(true);
    expect((await registry.addRequest(newRequest(2))).repair).toBe(false);
    // Removed, but paired before: the approved request remembers the key.
    await registry.removeNode(deviceId(1), 'test');
    expect((await registry.addRequest(newRequest(3, { ed25519PublicKey: key32(1) }))).repair).toBe(true);
  });

  it('approving a re-pair updates the node, keeps its labels and revokes the old certificate', async () => {
    const registry = await withNode(1);
    const revoked: RevokedCertRecord[] = [];
    registry.onRevoked((r) => revoked.push(r));
    clock.advance(MINUTE);
    await registry.addRequest(newRequest(1, { requestId: 'again', name: 'renamed' }));
    await registry.approve('again', certificate(2));
    expect(registry.getNode(deviceId(1))).toMatchObject({ name: 'renamed', certFingerprint: fingerprint(2), pairedAt: '2025-01-01T00:01:00.000Z' });
    expect(registry.isRevoked(fingerprint(1))).toBe(true);
    expect(registry.isRevoked(fingerprint(2))).toBe(false);
    expect(registry.nodeForFingerprint(fingerprint(1))).toBeUndefined();
    expect(registry.nodeForFingerprint(fingerprint(2))?.deviceId).toBe(deviceId(1));
    expect(revoked).toEqual([{ fingerprint: fingerprint(1), deviceId: deviceId(1), revokedAt: '2025-01-01T00:01:00.000Z', reason: 'replaced by a new pairing', expiresAt: '2025-02-01T00:00:00.000Z' }]);
    expect(registry.listNodes()).toHaveLength(1);
    // A revoked certificate can never be registered again.
    await registry.addRequest(newRequest(1, { requestId: 'third' }));
    expect((await rejection(registry.approve('third', certificate(1)))).code).toBe('PALYRA_E_INVALID_ARGUMENT');
  });

  it('keeps decided requests for a bounded time and number', async () => {
    const registry = await open({ maxRetained: 3 });
    for (let i = 1; i <= 5; i++) {
      await registry.addRequest(newRequest(i));
      await registry.reject(`req-${i}`);
      clock.advance(1000);
    }
    expect((await readStoreState(store)).requests.map((r) => r.requestId)).toEqual(['req-3', 'req-4', 'req-5']);
    clock.advance(8 * 24 * 60 * MINUTE);
    await registry.addRequest(newRequest(6));
    expect((await readStoreState(store)).requests.map((r) => r.requestId)).toEqual(['req-6']);
    expect(registry.findRequest('req-5')).toBeUndefined();
  });

  it('listeners can be removed, and a throwing listener breaks nothing', async () => {
    const errors: unknown[] = [];
    const registry = await open({ onError: (e) => errors.push(e) });
    const calls: string[] = [];
    const off = registry.onRequestChange((r) => calls.push(r.state));
    registry.onRequestChange(() => {
      throw new Error('listener bug');
    });
    const offSelf: () => void = registry.onRequestChange(() => offSelf());
    await registry.addRequest(newRequest(1));
    off();
    off();
    await registry.reject('req-1');
    expect(calls).toEqual(['pending_approval']);
    expect(errors).toHaveLength(2);
    expect(registry.findRequest('req-1')?.state).toBe('rejected');
  });
});

describe('nodes', () => {
  it('removeNode revokes the certificate and returns the record', async () => {
    const registry = await withNode(1);
    const revoked: RevokedCertRecord[] = [];
    registry.onRevoked((r) => revoked.push(r));
    const removed = await registry.removeNode(deviceId(1), 'removed by operator');
    expect(removed.certFingerprint).toBe(fingerprint(1));
    expect(registry.getNode(deviceId(1))).toBeUndefined();
    expect(registry.listNodes()).toEqual([]);
    expect(registry.nodeForFingerprint(fingerprint(1))).toBeUndefined();
    expect(registry.isRevoked(fingerprint(1))).toBe(true);
    const record = { fingerprint: fingerprint(1), deviceId: deviceId(1), revokedAt: '2025-01-01T00:00:00.000Z', reason: 'removed by operator', expiresAt: '2025-02-01T00:00:00.000Z' };
    expect(revoked).toEqual([record]);
    const file = await readStoreState(store);
    expect(file.nodes).toEqual([]);
    expect(file.revoked).toEqual([record]);
    expect((await rejection(registry.removeNode(deviceId(1), 'again'))).code).toBe('PALYRA_E_NODE_NOT_FOUND');

    const reopened = await open();
    expect(reopened.isRevoked(fingerprint(1))).toBe(true);
  });

  it('updateNodeInfo persists changes and writes nothing when nothing changed', async () => {
    const registry = await withNode(1);
    const writes = new StatementCounter(store);
    const info = { platform: 'darwin-arm64', hostname: 'mac', agentVersion: '0.2.0', capabilities: ['fs.read', 'shell.exec'] };
    const updated = await registry.updateNodeInfo(deviceId(1), info);
    expect(updated).toMatchObject({ ...info, name: 'node-1' });
    expect((await readStoreState(store)).nodes[0]).toMatchObject(info);
    expect(writes.runs).toBe(1);
    await registry.updateNodeInfo(deviceId(1), info);
    expect(writes.runs).toBe(1);
    await registry.updateNodeInfo(deviceId(1), { ...info, name: 'new name' });
    expect(registry.getNode(deviceId(1))?.name).toBe('new name');
    expect(writes.runs).toBe(2);
    expect((await rejection(registry.updateNodeInfo(deviceId(7), info))).code).toBe('PALYRA_E_NODE_NOT_FOUND');
    expect((await rejection(registry.updateNodeInfo(deviceId(1), { ...info, capabilities: [''] }))).code).toBe('PALYRA_E_INVALID_ARGUMENT');
  });

  it('updateNodeInfo with nothing to change still waits for a queued removal of the node', async () => {
    const registry = await withNode(1);
    const info = { platform: 'linux-x64', hostname: 'host-1', agentVersion: '0.1.0', capabilities: ['fs.read'] };
    await registry.updateNodeInfo(deviceId(1), info);
    const removal = registry.removeNode(deviceId(1), 'test');
    const unchanged = registry.updateNodeInfo(deviceId(1), info);
    await removal;
    expect((await rejection(unchanged)).code).toBe('PALYRA_E_NODE_NOT_FOUND');
  });

  it('touchLastSeen is visible at once, written on flush or with its node row, and never goes back', async () => {
    const registry = await withNode(1);
    registry.touchLastSeen(deviceId(1), new Date('2025-01-01T00:05:00.000Z'));
    expect(registry.getNode(deviceId(1))?.lastSeen).toBe('2025-01-01T00:05:00.000Z');
    expect(registry.listNodes()[0]?.lastSeen).toBe('2025-01-01T00:05:00.000Z');
    expect((await readStoreState(store)).nodes[0]!.lastSeen).toBeNull();
    await registry.flush();
    expect((await readStoreState(store)).nodes[0]!.lastSeen).toBe('2025-01-01T00:05:00.000Z');

    registry.touchLastSeen(deviceId(1), new Date('2025-01-01T00:04:00.000Z'));
    expect(registry.getNode(deviceId(1))?.lastSeen).toBe('2025-01-01T00:05:00.000Z');
    registry.touchLastSeen(deviceId(1), new Date('2025-01-01T00:06:00.000Z'));
    // A change of other rows does not write it (a change writes its own rows only)...
    await registry.addRequest(newRequest(2));
    expect((await readStoreState(store)).nodes[0]!.lastSeen).toBe('2025-01-01T00:05:00.000Z');
    // ...a write of the node's row does.
    await registry.updateNodeInfo(deviceId(1), { platform: 'linux-arm64', hostname: 'host-1', agentVersion: '0.1.0', capabilities: ['fs.read'] });
    expect((await readStoreState(store)).nodes[0]!.lastSeen).toBe('2025-01-01T00:06:00.000Z');
    registry.touchLastSeen(deviceId(42), new Date());
  });

  it('lastSeen is written by itself after lastSeenFlushMs', async () => {
    const first = await open();
    await first.addRequest(newRequest(1));
    await first.approve('req-1', certificate(1));
    const registry = await open({ lastSeenFlushMs: 20 });
    registry.touchLastSeen(deviceId(1), new Date('2025-01-01T00:07:00.000Z'));
    await vi.waitFor(async () => expect((await readStoreState(store)).nodes[0]!.lastSeen).toBe('2025-01-01T00:07:00.000Z'));
  });

  it('the removed record carries the latest lastSeen', async () => {
    const registry = await withNode(1);
    registry.touchLastSeen(deviceId(1), new Date('2025-01-01T00:05:00.000Z'));
    expect((await registry.removeNode(deviceId(1), 'x')).lastSeen).toBe('2025-01-01T00:05:00.000Z');
    await registry.flush();
  });
});

describe('persistence and failures', () => {
  it('reloads everything it persisted', async () => {
    const registry = await withNode(1);
    await registry.addPairingCode(pinCode('a'));
    await registry.addRequest(newRequest(2));
    const reopened = await open();
    expect(reopened.listNodes()).toEqual(registry.listNodes());
    expect(await reopened.pendingRequests()).toEqual(await registry.pendingRequests());
    // Codes do not survive a restart: their derivations are in memory only.
    expect((await rejection(reopened.activePinCode())).code).toBe('PALYRA_E_PAIRING_CODE_EXPIRED');
  });

  it('a failed write changes nothing in memory and tells no listener', async () => {
    const registry = await open();
    await registry.addRequest(newRequest(1));
    const before = await readStoreState(store);
    const seen: PairingRequestRecord[] = [];
    registry.onRequestChange((r) => seen.push(r));
    await failWrites(store);
    const error = await rejection(registry.approve('req-1', certificate(1)));
    expect(error.code).toBe('PALYRA_E_STATE_IO');
    expect(seen).toEqual([]);
    expect(registry.findRequest('req-1')?.state).toBe('pending_approval');
    expect(registry.listNodes()).toEqual([]);
    expect(registry.nodeForFingerprint(fingerprint(1))).toBeUndefined();
    expect(await readStoreState(store)).toEqual(before);

    await failWrites(store, false);
    await registry.approve('req-1', certificate(1));
    expect(registry.getNode(deviceId(1))).toBeDefined();
  });

  it('an aborted signal: PALYRA_E_CANCELLED and nothing changes', async () => {
    const registry = await open();
    const error = await rejection(registry.addRequest(newRequest(1), { signal: AbortSignal.abort() }));
    expect(error.code).toBe('PALYRA_E_CANCELLED');
    expect(registry.findRequest('req-1')).toBeUndefined();
  });

  it('serializes concurrent mutations: none is lost', async () => {
    const registry = await open();
    await Promise.all(Array.from({ length: 10 }, (_, i) => registry.addRequest(newRequest(i + 1))));
    expect((await readStoreState(store)).requests).toHaveLength(10);
    expect(await registry.pendingRequests()).toHaveLength(10);
  });
});
