/**
 * NodeRegistry's renewal transitions (issue 15): renewCertificate, confirmCertificate, the
 * current+previous fingerprint index, revocations carrying expiresAt and their pruning. Real
 * SQLite store in a temp dir, injected clock; each open() is a restart on the same file.
 */
import * as fsp from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeRegistry, type CertificateRenewal, type RevokedCertRecord } from '../../src/registry/index.js';
import { openStore, type SqlStore } from '../../src/store/index.js';
import { FakeClock, StatementCounter, certificate, deviceId, fingerprint, makeStateDir, newRequest, readStoreState } from './fixtures.js';
import { rejection } from '../../../test/helpers/errorAssertions.js';

const HOUR = 3_600_000;

let dir: string;
let clock: FakeClock;
let registries: NodeRegistry[];
let stores: SqlStore[];
let store: SqlStore;

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

async function open(): Promise<NodeRegistry> {
  store = await openStore({ stateDir: dir });
  stores.push(store);
  const registry = await NodeRegistry.open(store, { now: clock.now, lastSeenFlushMs: 60 * 60_000 });
  registries.push(registry);
  return registry;
}

/** Node `n` paired with certificate `n`, expiring 2025-02-01. */
async function withNode(n = 1): Promise<NodeRegistry> {
  const registry = await open();
  await registry.addRequest(newRequest(n));
  await registry.approve(`req-${n}`, certificate(n));
  return registry;
}

function renewed(n: number, notAfter = '2025-03-01T00:00:00.000Z') {
  return { ...certificate(n), notAfter, issuedAt: clock.now() };
}

describe('renewCertificate', () => {
  it('makes the issued certificate current and the presented one previous; both authenticate until confirmed', async () => {
    const registry = await withNode(1);
    const seen: CertificateRenewal[] = [];
    registry.onCertificateRenewed((r) => seen.push(r));
    clock.advance(HOUR);
    const renewal = await registry.renewCertificate(deviceId(1), fingerprint(1), renewed(2), { path: 'mtls' });
    expect(renewal).toMatchObject({ deviceId: deviceId(1), path: 'mtls', presentedFingerprint: fingerprint(1), certFingerprint: fingerprint(2), revokedFingerprints: [] });
    expect(seen).toEqual([renewal]);
    expect(registry.getNode(deviceId(1))).toMatchObject({
      certFingerprint: fingerprint(2),
      certExpiresAt: '2025-03-01T00:00:00.000Z',
      certIssuedAt: '2025-01-01T01:00:00.000Z',
      previousCertFingerprint: fingerprint(1),
      previousCertExpiresAt: '2025-02-01T00:00:00.000Z',
      lastRenewedAt: '2025-01-01T01:00:00.000Z',
    });
    expect(registry.nodeForFingerprint(fingerprint(1))?.deviceId).toBe(deviceId(1));
    expect(registry.nodeForFingerprint(fingerprint(2))?.deviceId).toBe(deviceId(1));
    // Persisted: a restart between issuance and presentation keeps both.
    const reopened = await open();
    expect(reopened.nodeForFingerprint(fingerprint(1))?.deviceId).toBe(deviceId(1));
    expect(reopened.nodeForFingerprint(fingerprint(2))?.deviceId).toBe(deviceId(1));
  });

  it('confirmCertificate deny-lists and forgets the previous one once the current one is presented (not before, not twice)', async () => {
    const registry = await withNode(1);
    const revoked: RevokedCertRecord[] = [];
    registry.onRevoked((r) => revoked.push(r));
    await registry.renewCertificate(deviceId(1), fingerprint(1), renewed(2), { path: 'mtls' });
    // Authenticating with the previous certificate confirms nothing.
    expect(await registry.confirmCertificate(deviceId(1), fingerprint(1))).toBe(false);
    expect(revoked).toEqual([]);
    expect(await registry.confirmCertificate(deviceId(1), fingerprint(2))).toBe(true);
    expect(revoked).toEqual([{ fingerprint: fingerprint(1), deviceId: deviceId(1), revokedAt: '2025-01-01T00:00:00.000Z', reason: 'superseded by a renewal the node has presented', expiresAt: '2025-02-01T00:00:00.000Z' }]);
    expect(registry.isRevoked(fingerprint(1))).toBe(true);
    expect(registry.nodeForFingerprint(fingerprint(1))).toBeUndefined();
    expect(registry.getNode(deviceId(1))?.previousCertFingerprint).toBeUndefined();
    expect(await registry.confirmCertificate(deviceId(1), fingerprint(2))).toBe(false);
    expect((await readStoreState(store)).revoked.map((r) => r.fingerprint)).toEqual([fingerprint(1)]);
  });

  it('confirming with nothing to confirm writes nothing', async () => {
    const registry = await withNode(1);
    const counter = new StatementCounter(store);
    expect(await registry.confirmCertificate(deviceId(1), fingerprint(1))).toBe(false);
    expect(counter.runs).toBe(0);
  });

  it('renewing from the previous certificate deny-lists the current one the node never presented', async () => {
    const registry = await withNode(1);
    await registry.renewCertificate(deviceId(1), fingerprint(1), renewed(2), { path: 'mtls' });
    const again = await registry.renewCertificate(deviceId(1), fingerprint(1), renewed(3), { path: 'mtls' });
    expect(again.revokedFingerprints).toEqual([fingerprint(2)]);
    expect(registry.isRevoked(fingerprint(2))).toBe(true);
    expect(registry.getNode(deviceId(1))).toMatchObject({ certFingerprint: fingerprint(3), previousCertFingerprint: fingerprint(1) });
  });

  it('renewing twice from the current certificate deny-lists the older previous one', async () => {
    const registry = await withNode(1);
    await registry.renewCertificate(deviceId(1), fingerprint(1), renewed(2), { path: 'mtls' });
    const again = await registry.renewCertificate(deviceId(1), fingerprint(2), renewed(3), { path: 'grace' });
    expect(again.revokedFingerprints).toEqual([fingerprint(1)]);
    expect(registry.getNode(deviceId(1))).toMatchObject({ certFingerprint: fingerprint(3), previousCertFingerprint: fingerprint(2) });
    expect(registry.nodeForFingerprint(fingerprint(1))).toBeUndefined();
  });

  it('refuses a removed node, a revoked certificate, and a certificate that is not the node\'s', async () => {
    const registry = await withNode(1);
    await registry.addRequest(newRequest(2));
    await registry.approve('req-2', certificate(2));
    expect((await rejection(registry.renewCertificate(deviceId(1), fingerprint(2), renewed(5), { path: 'grace' }))).code).toBe('PALYRA_E_RENEWAL_REFUSED');
    expect((await rejection(registry.renewCertificate(deviceId(1), fingerprint(9), renewed(5), { path: 'grace' }))).code).toBe('PALYRA_E_RENEWAL_REFUSED');
    await registry.removeNode(deviceId(1), 'removed by operator');
    expect((await rejection(registry.renewCertificate(deviceId(1), fingerprint(1), renewed(5), { path: 'mtls' }))).code).toBe('PALYRA_E_NODE_REVOKED');
    expect(registry.getNode(deviceId(2))?.certFingerprint).toBe(fingerprint(2));
  });

  it('removeNode revokes the current and the unconfirmed previous certificate', async () => {
    const registry = await withNode(1);
    await registry.renewCertificate(deviceId(1), fingerprint(1), renewed(2), { path: 'mtls' });
    const revoked: RevokedCertRecord[] = [];
    registry.onRevoked((r) => revoked.push(r));
    await registry.removeNode(deviceId(1), 'removed by operator');
    expect(revoked.map((r) => [r.fingerprint, r.expiresAt])).toEqual([
      [fingerprint(2), '2025-03-01T00:00:00.000Z'],
      [fingerprint(1), '2025-02-01T00:00:00.000Z'],
    ]);
    expect(registry.isRevoked(fingerprint(1)) && registry.isRevoked(fingerprint(2))).toBe(true);
  });
});

describe('pruneRevocations', () => {
  it('drops entries whose certificate expired (memory and store), keeps the others and legacy ones without expiresAt', async () => {
    const registry = await withNode(1);
    await registry.addRequest(newRequest(2));
    await registry.approve('req-2', certificate(2, '2025-06-01T00:00:00.000Z'));
    await registry.removeNode(deviceId(1), 'gone');
    await registry.removeNode(deviceId(2), 'gone');
    // A revocation written by an older release: no expiresAt.
    await store.revocations.add({ fingerprint: fingerprint(7), deviceId: deviceId(7), revokedAt: '2024-01-01T00:00:00.000Z', reason: 'legacy' });
    const registry2 = await open();
    expect(registry2.revocationCount).toBe(3);
    expect(await registry2.pruneRevocations()).toBe(0);
    clock.ms = Date.parse('2025-02-01T00:00:01.000Z');
    expect(await registry2.pruneRevocations()).toBe(1);
    expect(registry2.isRevoked(fingerprint(1))).toBe(false);
    expect(registry2.isRevoked(fingerprint(2))).toBe(true);
    expect(registry2.isRevoked(fingerprint(7))).toBe(true);
    expect((await readStoreState(store)).revoked.map((r) => r.fingerprint).sort()).toEqual([fingerprint(2), fingerprint(7)].sort());
    expect((await open()).revocationCount).toBe(2);
  });

  it('keeps an expired entry while its registered node still holds that certificate (ca finish --force revokes without unregistering): the grace path must not revive it', async () => {
    const registry = await withNode(1);
    await registry.revokeCertificates(deviceId(1), 'its certificate was issued by the retired CA');
    clock.ms = Date.parse('2025-02-01T00:00:01.000Z');
    expect(await registry.pruneRevocations()).toBe(0);
    expect(registry.isRevoked(fingerprint(1))).toBe(true);
    expect((await open()).isRevoked(fingerprint(1))).toBe(true);
    // Once the node no longer holds it (removed, or paired again), it can go.
    await registry.removeNode(deviceId(1), 'gone');
    clock.advance(1000);
    expect(await registry.pruneRevocations()).toBe(1);
    expect(registry.isRevoked(fingerprint(1))).toBe(false);
  });

  it('stays bounded across many renewals, and costs no statement until an entry can go', async () => {
    const registry = await withNode(1);
    let current = 1;
    // Renew and confirm every 16 h with 24 h certificates, for 30 days.
    for (let i = 0; i < 45; i += 1) {
      clock.advance(16 * HOUR);
      const next = 100 + i;
      const notAfter = new Date(clock.ms + 24 * HOUR).toISOString();
      await registry.renewCertificate(deviceId(1), fingerprint(current), { ...certificate(next, notAfter), issuedAt: clock.now() }, { path: 'mtls' });
      await registry.confirmCertificate(deviceId(1), fingerprint(next));
      current = next;
      await registry.pruneRevocations();
    }
    // Only the certificates still unexpired remain deny-listed: at most a couple.
    expect(registry.revocationCount).toBeLessThanOrEqual(2);
    const counter = new StatementCounter(store);
    expect(await registry.pruneRevocations()).toBe(0);
    expect(counter.runs).toBe(0);
  });

  it('at 50,000 entries: nothing to prune costs no statement; pruning 100 is one DELETE', async () => {
    await open();
    await store.transaction(async (repos) => {
      for (let i = 0; i < 50_000; i += 1) {
        const expiresAt = new Date(Date.parse('2025-01-02T00:00:00.000Z') + (i < 100 ? 0 : 86_400_000 + i * 1000)).toISOString();
        await repos.revocations.add({ fingerprint: i.toString(16).padStart(64, '0'), deviceId: deviceId(1), revokedAt: '2025-01-01T00:00:00.000Z', reason: 'renewed', expiresAt });
      }
    });
    const registry = await open();
    expect(registry.revocationCount).toBe(50_000);
    const counter = new StatementCounter(store);
    expect(await registry.pruneRevocations()).toBe(0);
    expect(counter.runs).toBe(0);
    clock.ms = Date.parse('2025-01-02T00:00:00.001Z');
    expect(await registry.pruneRevocations()).toBe(100);
    expect(counter.runs).toBe(1);
    expect(registry.revocationCount).toBe(49_900);
    // The next entry expires a day later: until then, pruning is free again.
    expect(await registry.pruneRevocations()).toBe(0);
    expect(counter.runs).toBe(1);
  }, 60_000);
});
