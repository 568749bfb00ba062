import { describe, expect, it } from 'vitest';
import { PalyraError } from '@palyra/shared/errors';
import type { NodeRecord, PairingCodeRecord, PairingRequestRecord } from '../../src/registry/types.js';
import type { DispatchRecord, TokenRecord } from '../../src/store/index.js';
import { STORE_ENGINES, useStoreEngine } from './storeEngines.js';

const node = (deviceId: string, overrides: Partial<NodeRecord> = {}): NodeRecord => ({
  deviceId,
  name: `node-${deviceId}`,
  platform: 'linux',
  hostname: 'h',
  agentVersion: '1.0.0',
  capabilities: ['shell.exec'],
  labels: { zone: 'a' },
  ed25519PublicKey: 'ed',
  x25519PublicKey: 'x',
  certFingerprint: `fp-${deviceId}`,
  certExpiresAt: '2027-01-01T00:00:00.000Z',
  pairedAt: '2026-01-01T00:00:00.000Z',
  lastSeen: null,
  ...overrides,
});

const code = (id: string, createdAt: string, overrides: Partial<PairingCodeRecord> = {}): PairingCodeRecord => ({
  id,
  method: 'pin',
  createdAt,
  expiresAt: '2030-01-01T00:00:00.000Z',
  attempts: 0,
  state: 'active',
  ...overrides,
});

const request = (requestId: string, requestedAt: string, overrides: Partial<PairingRequestRecord> = {}): PairingRequestRecord => ({
  requestId,
  deviceId: `dev-${requestId}`,
  codeId: 'c1',
  method: 'qr',
  name: 'n',
  platform: 'linux',
  hostname: 'h',
  agentVersion: '1',
  capabilities: [],
  remoteAddress: '127.0.0.1',
  ed25519PublicKey: 'ed',
  x25519PublicKey: 'x',
  csr: 'csr',
  sas: '1234',
  repair: false,
  requestedAt,
  expiresAt: '2030-01-01T00:00:00.000Z',
  state: 'pending_approval',
  ...overrides,
});

/** Milliseconds of a realistic size: BIGINT columns must come back as numbers, exactly. */
const T0 = 1_780_000_000_000;

const dispatch = (id: string, overrides: Partial<DispatchRecord> = {}): DispatchRecord => ({
  id,
  deviceId: 'A',
  capability: 'shell.exec',
  caller: 'local',
  idempotencyKey: null,
  inputHash: 'hash',
  inputJson: '{"command":"true"}',
  state: 'queued',
  createdAt: T0,
  deadlineAt: T0 + 60_000,
  sentAt: null,
  finishedAt: null,
  resultJson: null,
  ...overrides,
});

const token = (id: string, createdAt: string, overrides: Partial<TokenRecord> = {}): TokenRecord => ({
  id,
  name: `token-${id}`,
  role: 'operator',
  permissions: ['dispatch.invoke', 'nodes.read'],
  scopes: ['fs.read', 'fs.*'],
  nodes: 'env=prod',
  ratePerSecond: 2.5,
  burst: 5,
  secretSha256: 'ab'.repeat(32),
  createdAt,
  expiresAt: '2030-01-01T00:00:00.000Z',
  revokedAt: null,
  createdBy: 'local:1000',
  lastUsedAt: null,
  ...overrides,
});

describe.each(STORE_ENGINES)('store repositories on %s', (engine) => {
  const fixture = useStoreEngine(engine);

  it('pairing codes: upsert inserts and replaces, all() is ordered by creation, delete removes any number', async () => {
    const store = await fixture.open();
    await store.pairingCodes.upsert(code('b', '2026-01-02T00:00:00.000Z'));
    await store.pairingCodes.upsert(code('a', '2026-01-03T00:00:00.000Z'));
    await store.pairingCodes.upsert(code('b', '2026-01-02T00:00:00.000Z', { attempts: 3, state: 'burned' }));
    expect(await store.pairingCodes.all()).toEqual([
      code('b', '2026-01-02T00:00:00.000Z', { attempts: 3, state: 'burned' }),
      code('a', '2026-01-03T00:00:00.000Z'),
    ]);
    // More ids than one statement takes (500): the repository splits them.
    const many = Array.from({ length: 1_203 }, (_, i) => `m${String(i).padStart(5, '0')}`);
    await store.transaction(async (repos) => {
      for (const id of many) await repos.pairingCodes.upsert(code(id, '2026-01-01T00:00:00.000Z'));
    });
    await store.pairingCodes.delete([...many, 'a', 'unknown']);
    expect((await store.pairingCodes.all()).map((c) => c.id)).toEqual(['b']);
  });

  it('pairing requests: upsert replaces a request by id, all() is ordered by request time, delete removes', async () => {
    const store = await fixture.open();
    await store.pairingRequests.upsert(request('r2', '2026-01-02T00:00:00.000Z'));
    await store.pairingRequests.upsert(request('r1', '2026-01-01T00:00:00.000Z'));
    const approved = request('r2', '2026-01-02T00:00:00.000Z', { state: 'approved', decidedAt: '2026-01-02T00:01:00.000Z', certificate: 'der' });
    await store.pairingRequests.upsert(approved);
    expect(await store.pairingRequests.all()).toEqual([request('r1', '2026-01-01T00:00:00.000Z'), approved]);
    await store.pairingRequests.delete(['r1']);
    expect(await store.pairingRequests.all()).toEqual([approved]);
  });

  it('nodes: upsert, count, delete; a certificate fingerprint belongs to one node', async () => {
    const store = await fixture.open();
    expect(await store.nodes.count()).toBe(0);
    await store.nodes.upsert(node('B'));
    await store.nodes.upsert(node('A', { lastSeen: '2026-01-05T00:00:00.000Z' }));
    await store.nodes.upsert(node('B', { name: 'renamed', labels: { zone: 'b' } }));
    expect(await store.nodes.count()).toBe(2);
    expect(await store.nodes.all()).toEqual([node('A', { lastSeen: '2026-01-05T00:00:00.000Z' }), node('B', { name: 'renamed', labels: { zone: 'b' } })]);
    const duplicate = store.nodes.upsert(node('C', { certFingerprint: 'fp-A' }));
    await expect(duplicate).rejects.toBeInstanceOf(PalyraError);
    await store.nodes.delete('A');
    await store.nodes.delete('unknown');
    expect((await store.nodes.all()).map((n) => n.deviceId)).toEqual(['B']);
  });

  it('nodes.setLastSeen keeps the newest time, ignores older ones and unknown devices', async () => {
    const store = await fixture.open();
    await store.nodes.upsert(node('A'));
    await store.nodes.upsert(node('B', { lastSeen: '2026-03-01T00:00:00.000Z' }));
    await store.nodes.setLastSeen([
      { deviceId: 'A', lastSeen: '2026-02-01T00:00:00.000Z' },
      { deviceId: 'A', lastSeen: '2026-01-15T00:00:00.000Z' },
      { deviceId: 'B', lastSeen: '2026-02-01T00:00:00.000Z' },
      { deviceId: 'ghost', lastSeen: '2026-02-01T00:00:00.000Z' },
    ]);
    const seen = Object.fromEntries((await store.nodes.all()).map((n) => [n.deviceId, n.lastSeen]));
    expect(seen).toEqual({ A: '2026-02-01T00:00:00.000Z', B: '2026-03-01T00:00:00.000Z' });
    expect(await store.nodes.count()).toBe(2);
    // A whole-record upsert writes lastSeen too (the registry's record is the truth then).
    await store.nodes.upsert(node('A', { lastSeen: '2026-01-01T00:00:00.000Z' }));
    expect((await store.nodes.all())[0]?.lastSeen).toBe('2026-01-01T00:00:00.000Z');
  });

  it('revocations: the first record of a fingerprint stays, all() is ordered by time', async () => {
    const store = await fixture.open();
    await store.revocations.add({ fingerprint: 'f2', deviceId: 'B', revokedAt: '2026-01-02T00:00:00.000Z', reason: 'removed' });
    await store.revocations.add({ fingerprint: 'f1', deviceId: 'A', revokedAt: '2026-01-01T00:00:00.000Z', reason: 'repaired' });
    await store.revocations.add({ fingerprint: 'f2', deviceId: 'B', revokedAt: '2026-01-09T00:00:00.000Z', reason: 'again' });
    expect(await store.revocations.all()).toEqual([
      { fingerprint: 'f1', deviceId: 'A', revokedAt: '2026-01-01T00:00:00.000Z', reason: 'repaired' },
      { fingerprint: 'f2', deviceId: 'B', revokedAt: '2026-01-02T00:00:00.000Z', reason: 'removed' },
    ]);
  });

  it('revocations: expiresAt round-trips (absent stays absent), delete removes any number', async () => {
    const store = await fixture.open();
    await store.revocations.add({ fingerprint: 'f1', deviceId: 'A', revokedAt: '2026-01-01T00:00:00.000Z', reason: 'renewed', expiresAt: '2026-01-02T00:00:00.000Z' });
    await store.revocations.add({ fingerprint: 'f2', deviceId: 'B', revokedAt: '2026-01-01T00:00:01.000Z', reason: 'legacy' });
    for (let i = 0; i < 600; i += 1) {
      await store.revocations.add({ fingerprint: `g${i}`, deviceId: 'C', revokedAt: '2026-01-03T00:00:00.000Z', reason: 'bulk', expiresAt: '2026-01-04T00:00:00.000Z' });
    }
    expect((await store.revocations.all()).slice(0, 2)).toEqual([
      { fingerprint: 'f1', deviceId: 'A', revokedAt: '2026-01-01T00:00:00.000Z', reason: 'renewed', expiresAt: '2026-01-02T00:00:00.000Z' },
      { fingerprint: 'f2', deviceId: 'B', revokedAt: '2026-01-01T00:00:01.000Z', reason: 'legacy' },
    ]);
    await store.revocations.delete(['f1', ...Array.from({ length: 600 }, (_, i) => `g${i}`)]);
    expect((await store.revocations.all()).map((r) => r.fingerprint)).toEqual(['f2']);
  });

  it('dispatches: insert, get and findByKey round-trip every field, times as exact numbers', async () => {
    const store = await fixture.open();
    const keyed = dispatch('D1', { idempotencyKey: 'k1', deadlineAt: Number.MAX_SAFE_INTEGER });
    await store.dispatches.insert(keyed);
    const got = await store.dispatches.get('D1');
    expect(got).toEqual(keyed);
    expect(typeof got?.createdAt).toBe('number');
    expect(await store.dispatches.findByKey('A', 'k1')).toEqual(keyed);
    expect(await store.dispatches.findByKey('B', 'k1')).toBeUndefined();
    expect(await store.dispatches.get('nope')).toBeUndefined();
  });

  it('dispatches: an idempotency key is unique per node; other nodes and unkeyed dispatches are free', async () => {
    const store = await fixture.open();
    await store.dispatches.insert(dispatch('D1', { idempotencyKey: 'k' }));
    await expect(store.dispatches.insert(dispatch('D2', { idempotencyKey: 'k' }))).rejects.toBeInstanceOf(PalyraError);
    await store.dispatches.insert(dispatch('D3', { idempotencyKey: 'k', deviceId: 'B' }));
    await store.dispatches.insert(dispatch('D4'));
    await store.dispatches.insert(dispatch('D5'));
    expect((await store.dispatches.unfinished()).map((d) => d.id)).toEqual(['D1', 'D3', 'D4', 'D5']);
    // The store is still usable after the refused insert (no transaction left open).
    expect((await store.dispatches.get('D2'))).toBeUndefined();
  });

  it('dispatches: advance moves forward only, finish records once, a real result replaces unknown', async () => {
    const store = await fixture.open();
    await store.dispatches.insert(dispatch('D1'));
    await store.dispatches.advance('D1', 'sent', T0 + 1);
    await store.dispatches.advance('D1', 'running', T0 + 2);
    expect(await store.dispatches.get('D1')).toMatchObject({ state: 'running', sentAt: T0 + 1 });
    await store.dispatches.advance('D1', 'sent', T0 + 3);
    expect(await store.dispatches.get('D1')).toMatchObject({ state: 'running', sentAt: T0 + 1 });

    expect(await store.dispatches.finish('D1', 'unknown', '{"reason":"daemon restarted"}', T0 + 10)).toBe(true);
    expect(await store.dispatches.get('D1')).toMatchObject({ state: 'unknown', inputJson: null, finishedAt: T0 + 10 });
    expect(await store.dispatches.finish('D1', 'succeeded', '{"exitCode":0}', T0 + 20)).toBe(true);
    expect(await store.dispatches.finish('D1', 'failed', '{}', T0 + 30)).toBe(false);
    expect(await store.dispatches.get('D1')).toMatchObject({ state: 'succeeded', resultJson: '{"exitCode":0}', finishedAt: T0 + 20 });
    await store.dispatches.advance('D1', 'running', T0 + 40);
    expect((await store.dispatches.get('D1'))?.state).toBe('succeeded');
    expect(await store.dispatches.finish('missing', 'failed', '{}', T0)).toBe(false);
  });

  it('dispatches: unfinished() per node, oldest first', async () => {
    const store = await fixture.open();
    await store.dispatches.insert(dispatch('D2', { createdAt: T0 + 2 }));
    await store.dispatches.insert(dispatch('D1', { createdAt: T0 + 1 }));
    await store.dispatches.insert(dispatch('D3', { createdAt: T0 + 3, deviceId: 'B' }));
    await store.dispatches.insert(dispatch('D4', { createdAt: T0 }));
    await store.dispatches.finish('D4', 'succeeded', '{}', T0 + 5);
    expect((await store.dispatches.unfinished('A')).map((d) => d.id)).toEqual(['D1', 'D2']);
    expect((await store.dispatches.unfinished()).map((d) => d.id)).toEqual(['D1', 'D2', 'D3']);
  });

  it('dispatches.list pages newest first with a (createdAt, id) cursor, ties included, and filters', async () => {
    const store = await fixture.open();
    // Three share one millisecond: the id breaks the tie, so no page repeats or skips one.
    const ids = ['D01', 'D02', 'D03', 'D04', 'D05', 'D06', 'D07'];
    const created = [T0, T0 + 1, T0 + 1, T0 + 1, T0 + 2, T0 + 3, T0 + 4];
    await store.transaction(async (repos) => {
      for (const [i, id] of ids.entries()) await repos.dispatches.insert(dispatch(id, { createdAt: created[i], deviceId: i % 2 === 0 ? 'A' : 'B' }));
    });
    await store.dispatches.finish('D03', 'failed', '{}', T0 + 9);
    const seen: string[] = [];
    let before: { createdAt: number; id: string } | undefined;
    for (;;) {
      const page = await store.dispatches.list({ limit: 3, ...(before === undefined ? {} : { before }) });
      if (page.length === 0) break;
      seen.push(...page.map((d) => d.id));
      const last = page.at(-1) as DispatchRecord;
      before = { createdAt: last.createdAt, id: last.id };
    }
    expect(seen).toEqual([...ids].reverse());
    expect((await store.dispatches.list({ limit: 10, deviceId: 'A' })).map((d) => d.id)).toEqual(['D07', 'D05', 'D03', 'D01']);
    expect((await store.dispatches.list({ limit: 10, unfinished: false })).map((d) => d.id)).toEqual(['D03']);
    expect((await store.dispatches.list({ limit: 2, unfinished: true, deviceId: 'B' })).map((d) => d.id)).toEqual(['D06', 'D04']);
    expect((await store.dispatches.list({ limit: 0 })).length).toBe(1);
  });

  it('dispatches.prune drops old finished rows, keeps the newest maxCount and everything in the idempotency window', async () => {
    const store = await fixture.open();
    await store.transaction(async (repos) => {
      for (let i = 0; i < 10; i += 1) {
        await repos.dispatches.insert(dispatch(`F${i}`, { idempotencyKey: `k${i}`, createdAt: T0 + i }));
        await repos.dispatches.finish(`F${i}`, 'succeeded', '{}', T0 + 100 + i);
      }
      await repos.dispatches.insert(dispatch('OPEN', { createdAt: T0 }));
    });
    // By age: F0 and F1 finished before T0+102.
    // By count: keep the newest 3 (F7..F9), but F5 and F6 finished inside the window (>= T0+105).
    const removed = await store.dispatches.prune({ finishedBefore: T0 + 102, keepAllSince: T0 + 105, maxCount: 3 });
    expect(removed).toBe(5);
    expect((await store.dispatches.list({ limit: 100 })).map((d) => d.id).sort()).toEqual(['F5', 'F6', 'F7', 'F8', 'F9', 'OPEN']);
    expect(await store.dispatches.findByKey('A', 'k2')).toBeUndefined();
    expect((await store.dispatches.findByKey('A', 'k5'))?.id).toBe('F5');
    expect(await store.dispatches.prune({ finishedBefore: 0, keepAllSince: 0, maxCount: 100 })).toBe(0);
  });

  it('tokens: insert and get round-trip every field (lists, fractional rates, nulls); all() oldest first; ids are unique', async () => {
    const store = await fixture.open();
    const a = token('B1', '2026-01-02T00:00:00.000Z');
    const b = token('A1', '2026-01-01T00:00:00.000Z', { permissions: [], scopes: [], nodes: '', expiresAt: null, createdBy: 'token:B1' });
    await store.tokens.insert(a);
    await store.tokens.insert(b);
    expect(await store.tokens.get('B1')).toEqual(a);
    expect(await store.tokens.get('nope')).toBeUndefined();
    expect(await store.tokens.all()).toEqual([b, a]);
    await expect(store.tokens.insert(token('A1', '2026-01-03T00:00:00.000Z'))).rejects.toBeInstanceOf(PalyraError);
    expect(await store.tokens.all()).toHaveLength(2);
  });

  it('tokens: revoke once (the first time stays), touch keeps the newest use', async () => {
    const store = await fixture.open();
    await store.tokens.insert(token('T1', '2026-01-01T00:00:00.000Z'));
    expect(await store.tokens.revoke('T1', '2026-02-01T00:00:00.000Z')).toBe(true);
    expect(await store.tokens.revoke('T1', '2026-03-01T00:00:00.000Z')).toBe(false);
    expect(await store.tokens.revoke('unknown', '2026-03-01T00:00:00.000Z')).toBe(false);
    await store.tokens.touch('T1', '2026-01-05T00:00:00.000Z');
    await store.tokens.touch('T1', '2026-01-04T00:00:00.000Z');
    await store.tokens.touch('unknown', '2026-01-04T00:00:00.000Z');
    const stored = await store.tokens.get('T1');
    expect(stored?.revokedAt).toBe('2026-02-01T00:00:00.000Z');
    expect(stored?.lastUsedAt).toBe('2026-01-05T00:00:00.000Z');
  });

  it('tokens: deleteEnded removes the tokens revoked or expired at or before a time, and no other', async () => {
    const store = await fixture.open();
    await store.tokens.insert(token('R1', '2026-01-01T00:00:00.000Z', { expiresAt: null }));
    await store.tokens.insert(token('R2', '2026-01-01T00:00:00.000Z', { expiresAt: null }));
    await store.tokens.insert(token('E1', '2026-01-01T00:00:00.000Z', { expiresAt: '2026-02-01T00:00:00.000Z' }));
    await store.tokens.insert(token('E2', '2026-01-01T00:00:00.000Z', { expiresAt: '2026-04-01T00:00:00.000Z' }));
    await store.tokens.insert(token('L1', '2026-01-01T00:00:00.000Z', { expiresAt: null }));
    await store.tokens.revoke('R1', '2026-02-15T00:00:00.000Z');
    await store.tokens.revoke('R2', '2026-03-15T00:00:00.000Z');
    expect(await store.tokens.deleteEnded('2026-03-01T00:00:00.000Z')).toBe(2);
    expect((await store.tokens.all()).map((t) => t.id).sort()).toEqual(['E2', 'L1', 'R2']);
    expect(await store.tokens.deleteEnded('2026-03-01T00:00:00.000Z')).toBe(0);
  });

  it('meta: get, set and overwrite', async () => {
    const store = await fixture.open();
    expect(await store.meta.get('seeded-from')).toBeUndefined();
    await store.meta.set('seeded-from', 'node-runtime.v1.json');
    await store.meta.set('seeded-from', 'import');
    expect(await store.meta.get('seeded-from')).toBe('import');
  });

  it('a transaction that throws leaves nothing behind; one that resolves is committed and visible after reopening', async () => {
    const location = await fixture.location();
    const store = await fixture.open(location);
    const failure = new Error('the body failed');
    await expect(
      store.transaction(async (repos) => {
        await repos.nodes.upsert(node('A'));
        await repos.dispatches.insert(dispatch('D1'));
        await repos.meta.set('k', 'v');
        expect(await repos.nodes.count()).toBe(1);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await store.nodes.count()).toBe(0);
    expect(await store.dispatches.get('D1')).toBeUndefined();
    expect(await store.meta.get('k')).toBeUndefined();

    // A failing statement inside the body rolls back the statements before it too.
    await expect(
      store.transaction(async (repos) => {
        await repos.dispatches.insert(dispatch('D2', { idempotencyKey: 'k' }));
        await repos.dispatches.insert(dispatch('D3', { idempotencyKey: 'k' }));
      }),
    ).rejects.toBeInstanceOf(PalyraError);
    expect(await store.dispatches.get('D2')).toBeUndefined();

    const result = await store.transaction(async (repos) => {
      await repos.nodes.upsert(node('B'));
      return 'done';
    });
    expect(result).toBe('done');
    await store.close();
    const again = await fixture.open(location);
    expect((await again.nodes.all()).map((n) => n.deviceId)).toEqual(['B']);
  });

  it('statements and transactions run one at a time, in call order', async () => {
    const store = await fixture.open();
    const order: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tx = store.transaction(async (repos) => {
      await repos.nodes.upsert(node('A'));
      await gate;
      await repos.nodes.delete('A');
      order.push('tx');
    });
    // Issued while the transaction is open: it must see the transaction's end, not its middle.
    const count = store.nodes.count().then((n) => {
      order.push(`count=${n}`);
    });
    release();
    await Promise.all([tx, count]);
    expect(order).toEqual(['tx', 'count=0']);
  });

  it('a transaction refuses to start on an aborted signal', async () => {
    const store = await fixture.open();
    const controller = new AbortController();
    controller.abort();
    await expect(store.transaction(async (repos) => repos.meta.set('k', 'v'), { signal: controller.signal })).rejects.toMatchObject({
      code: 'PALYRA_E_CANCELLED',
    });
    expect(await store.meta.get('k')).toBeUndefined();
  });
});
