import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeRegistry, type NodeRecord } from '../../src/registry/index.js';
import { openStore, type SqlStore } from '../../src/store/index.js';
import { FakeClock, StatementCounter, certificate, fingerprint, makeStateDir, newRequest, pinCode, seedStore } from './fixtures.js';

/** A canonical ULID per n, for thousands of nodes. */
function manyDeviceId(n: number): string {
  return `01HR${n.toString().padStart(22, '0')}`;
}

function identityKey(n: number): string {
  return createHash('sha256').update(`key-${n}`).digest('base64');
}

function seededNode(n: number): NodeRecord {
  return {
    deviceId: manyDeviceId(n),
    name: `node-${n}`,
    platform: 'linux-x64',
    hostname: `host-${n}`,
    agentVersion: '0.1.0',
    capabilities: ['fs.read'],
    labels: {},
    ed25519PublicKey: identityKey(n),
    x25519PublicKey: identityKey(100_000 + n),
    certFingerprint: fingerprint(n),
    certExpiresAt: '2025-02-01T00:00:00.000Z',
    pairedAt: '2025-01-01T00:00:00.000Z',
    lastSeen: null,
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * The write statements each registry change costs with `count` nodes registered: the JSON
 * state file rewrote every node per change; the store must write only the changed rows.
 */
async function statementsPerChange(count: number): Promise<Record<string, number>> {
  const dir = await makeStateDir();
  const store: SqlStore = await openStore({ stateDir: dir });
  cleanups.push(async () => {
    await store.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });
  await seedStore(store, { version: 1, pairingCodes: [], requests: [], nodes: Array.from({ length: count }, (_, i) => seededNode(i + 1)), revoked: [] });
  const clock = new FakeClock();
  const registry = await NodeRegistry.open(store, { now: clock.now, lastSeenFlushMs: 60 * 60_000 });
  expect(registry.listNodes()).toHaveLength(count);
  const counter = new StatementCounter(store);
  const costs: Record<string, number> = {};
  const cost = async (name: string, change: () => Promise<unknown>): Promise<void> => {
    const before = counter.runs;
    await change();
    costs[name] = counter.runs - before;
  };
  const newcomer = manyDeviceId(900_000);
  const request = { ...newRequest(1), deviceId: newcomer, requestId: 'req-new', ed25519PublicKey: identityKey(900_000) };
  await cost('addRequest', () => registry.addRequest(request));
  await cost('approve', () => registry.approve('req-new', certificate(900_000)));
  await cost('updateNodeInfo', () =>
    registry.updateNodeInfo(newcomer, { platform: 'darwin-arm64', hostname: 'mac', agentVersion: '0.2.0', capabilities: ['fs.read'] }),
  );
  await cost('updateNodeInfo unchanged', () =>
    registry.updateNodeInfo(newcomer, { platform: 'darwin-arm64', hostname: 'mac', agentVersion: '0.2.0', capabilities: ['fs.read'] }),
  );
  await cost('touchLastSeen + flush', async () => {
    registry.touchLastSeen(newcomer, new Date('2025-01-01T00:05:00.000Z'));
    await registry.flush();
  });
  // A re-pair of a registered node, found by its identity key among all of them.
  const repair = { ...newRequest(2), deviceId: manyDeviceId(5), requestId: 'req-repair', ed25519PublicKey: identityKey(5) };
  await cost('addRequest re-pair', async () => expect((await registry.addRequest(repair)).repair).toBe(true));
  await cost('approve re-pair (revokes the old certificate)', () => registry.approve('req-repair', certificate(800_000)));
  await cost('removeNode', () => registry.removeNode(newcomer, 'removed by operator'));
  await cost('addPairingCode', () => registry.addPairingCode(pinCode('a')));
  await cost('recordAttempt', () => registry.recordAttempt('a'));
  await cost('consumeCode', () => registry.consumeCode('a'));
  return costs;
}

describe('row writes per change', () => {
  it('one change writes the same rows at 10 and at 2,000 nodes', async () => {
    const small = await statementsPerChange(10);
    const large = await statementsPerChange(2_000);
    expect(large).toEqual(small);
    // And exactly its own rows.
    expect(small).toEqual({
      addRequest: 1,
      approve: 2, // the request, the node
      updateNodeInfo: 1,
      'updateNodeInfo unchanged': 0,
      'touchLastSeen + flush': 1,
      'addRequest re-pair': 1,
      'approve re-pair (revokes the old certificate)': 3, // the request, the revocation, the node
      removeNode: 2, // the revocation, the node
      addPairingCode: 1,
      recordAttempt: 1,
      consumeCode: 1,
    });
  });
});
