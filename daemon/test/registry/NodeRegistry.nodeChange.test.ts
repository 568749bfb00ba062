import * as fsp from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeRegistry, type NodeRecord } from '../../src/registry/index.js';
import { openStore, type SqlStore } from '../../src/store/index.js';
import { FakeClock, certificate, deviceId, makeStateDir, newRequest } from './fixtures.js';

let dir: string;
let store: SqlStore;
let registry: NodeRegistry;

beforeEach(async () => {
  dir = await makeStateDir();
  store = await openStore({ stateDir: dir });
  registry = await NodeRegistry.open(store, { now: new FakeClock().now, lastSeenFlushMs: 3_600_000 });
});
afterEach(async () => {
  await registry.flush().catch(() => undefined);
  await store.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

type Change = { deviceId: string; before: Readonly<NodeRecord> | undefined; after: Readonly<NodeRecord> | undefined };

describe('NodeRegistry.onNodeChange', () => {
  it('reports a node added, changed and removed, with the row before and after, once committed', async () => {
    const changes: Change[] = [];
    const stop = registry.onNodeChange((change) => changes.push(change));
    await registry.addRequest(newRequest(1));
    expect(changes).toEqual([]);
    await registry.approve('req-1', certificate(1));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ deviceId: deviceId(1), before: undefined, after: { deviceId: deviceId(1) } });

    const info = { platform: 'linux-x64', hostname: 'h2', agentVersion: '9.9.9', capabilities: [] };
    await registry.updateNodeInfo(deviceId(1), info);
    expect(changes).toHaveLength(2);
    expect(changes[1]?.before?.hostname).not.toBe('h2');
    expect(changes[1]?.after?.hostname).toBe('h2');
    // Nothing changed: no call.
    await registry.updateNodeInfo(deviceId(1), info);
    registry.touchLastSeen(deviceId(1));
    await registry.flush();
    expect(changes).toHaveLength(2);

    await registry.removeNode(deviceId(1), 'test');
    expect(changes[2]).toMatchObject({ deviceId: deviceId(1), before: { hostname: 'h2' }, after: undefined });
    stop();
    await registry.addRequest(newRequest(2));
    await registry.approve('req-2', certificate(2));
    expect(changes).toHaveLength(3);
  });

  it('a throwing listener does not break the mutation or the other listeners', async () => {
    const errors: unknown[] = [];
    const failing = await NodeRegistry.open(store, { onError: (error) => errors.push(error) });
    const seen: string[] = [];
    failing.onNodeChange(() => {
      throw new Error('listener bug');
    });
    failing.onNodeChange((change) => seen.push(change.deviceId));
    await failing.addRequest(newRequest(3));
    await failing.approve('req-3', certificate(3));
    expect(seen).toEqual([deviceId(3)]);
    expect(errors).toHaveLength(1);
    await failing.flush();
  });
});
