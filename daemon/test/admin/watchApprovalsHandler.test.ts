import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { ApprovalsEvent, NodeInfo } from '@palyra/proto';
import { PalyraError } from '@palyra/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { ApprovalsWatchers, createWatchApprovalsHandler } from '../../src/admin/watchApprovalsHandler.js';
import { snapshotAssembler } from '../../src/client/approvals.js';
import type { ApprovalsEvent__Output } from '@palyra/proto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NodeRegistry } from '../../src/registry/NodeRegistry.js';
import { openStore } from '../../src/store/index.js';
import { SessionManager, type LiveSession } from '../../src/sessions/SessionManager.js';
import { certificate, newRequest } from '../registry/fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The parts of a grpc ServerWritableStream the handler uses. */
class FakeCall extends EventEmitter {
  request: { pageSize?: number; selector?: string } = {};
  readonly written: ApprovalsEvent[] = [];
  cancelled = false;
  writableEnded = false;
  error: Partial<grpc.ServiceError> | undefined;

  constructor() {
    super();
    this.on('error', (error: Partial<grpc.ServiceError>) => {
      this.error = error;
      this.writableEnded = true;
    });
  }

  write(event: ApprovalsEvent): boolean {
    this.written.push(event);
    return true;
  }

  cancel(): void {
    this.cancelled = true;
    this.emit('cancelled');
  }

  bodies(): string[] {
    return this.written.map((e) => (e.snapshot ? 'snapshot' : e.request ? `request:${e.request.requestId}:${e.request.state}` : `node:${e.node?.deviceId}:${e.node?.status}`));
  }
}

async function setup() {
  const dir = await mkdtemp(path.join(tmpdir(), 'palyra-watch-'));
  const store = await openStore({ stateDir: dir });
  cleanups.push(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const registry = await NodeRegistry.open(store, { now: () => new Date() });
  const sessions = new SessionManager();
  const watchers = new ApprovalsWatchers();
  const handler = createWatchApprovalsHandler({
    registry,
    sessions,
    watchers,
    nodeInfo: (node) => ({ deviceId: node.deviceId, name: node.name, status: sessions.isOnline(node.deviceId) ? 'online' : 'offline' }) as NodeInfo,
  });
  const watch = (request: { pageSize?: number; selector?: string } = {}): FakeCall => {
    const call = new FakeCall();
    call.request = request;
    handler(call as unknown as grpc.ServerWritableStream<never, ApprovalsEvent>);
    return call;
  };
  return { registry, sessions, watchers, watch };
}

function session(deviceId: string): LiveSession {
  return { deviceId, fingerprint: deviceId.toLowerCase().padEnd(64, '0'), remoteAddress: '127.0.0.1:4242', openedAt: new Date(), send: () => undefined, close: () => undefined };
}

const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));

async function until(call: FakeCall, count: number): Promise<void> {
  for (let i = 0; i < 200 && call.written.length < count; i += 1) await flush();
  expect(call.written.length).toBeGreaterThanOrEqual(count);
}

describe('WatchApprovals handler', () => {
  it('pages the snapshot (more until the last), filters it by selector; the client joins the pages into one snapshot', async () => {
    const { registry, watch } = await setup();
    for (let i = 1; i <= 5; i += 1) {
      await registry.addRequest(newRequest(i));
      await registry.approve(`req-${i}`, certificate(i));
    }
    const paged = watch({ pageSize: 2 });
    await until(paged, 3);
    expect(paged.written.map((e) => [e.snapshot?.nodes?.length, e.snapshot?.more])).toEqual([[2, true], [2, true], [1, false]]);
    const assemble = snapshotAssembler();
    const joined = paged.written.map((e) => assemble({ body: 'snapshot', snapshot: { requests: [], ...e.snapshot }, at: e.at } as unknown as ApprovalsEvent__Output));
    expect(joined.slice(0, 2)).toEqual([undefined, undefined]);
    expect(joined[2]).toMatchObject({ type: 'snapshot' });
    expect(joined[2]?.type === 'snapshot' ? joined[2].nodes.map((n) => n.name).sort() : []).toEqual(['node-1', 'node-2', 'node-3', 'node-4', 'node-5']);

    const some = watch({ selector: 'name in (node-2,node-4)' });
    await until(some, 1);
    expect(some.written[0]?.snapshot?.nodes?.map((n) => n.name).sort()).toEqual(['node-2', 'node-4']);
    expect(some.written[0]?.snapshot?.more).toBe(false);

    const bad = watch({ selector: 'name in (' });
    await flush();
    expect(bad.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.written).toEqual([]);
    const tooBig = watch({ pageSize: 5001 });
    await flush();
    expect(tooBig.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('sends the snapshot first; a change made while it was read follows it (nothing falls in between)', async () => {
    const { registry, watch } = await setup();
    const adding = registry.addRequest({ ...newRequest(1), sas: 'ABCD-EFGH' });
    const call = watch();
    await adding;
    await until(call, 2);
    expect(call.bodies()).toEqual(['snapshot', 'request:req-1:pending_approval']);
    // Whether or not the snapshot already shows it, the change itself comes after the snapshot.
    expect(call.written[1]?.request).toMatchObject({ sas: 'ABCD-EFGH', name: 'node-1', remoteAddress: '127.0.0.1:5000' });
    expect(Date.parse(call.written[1]?.at ?? '')).not.toBeNaN();
  });

  it('streams decisions and node sessions as they happen', async () => {
    const { registry, sessions, watch } = await setup();
    const call = watch();
    await until(call, 1);
    await registry.addRequest(newRequest(1));
    await registry.addRequest(newRequest(2));
    await registry.approve('req-1', certificate(1));
    await registry.reject('req-2');
    const live = session(registry.listNodes()[0]?.deviceId ?? '');
    sessions.attach(live, new PalyraError('PALYRA_E_PERMISSION_DENIED', 'replaced'));
    sessions.detach(live);
    await until(call, 7);
    const deviceId = live.deviceId;
    expect(call.bodies()).toEqual([
      'snapshot',
      'request:req-1:pending_approval',
      'request:req-2:pending_approval',
      'request:req-1:approved',
      'request:req-2:rejected',
      `node:${deviceId}:online`,
      `node:${deviceId}:offline`,
    ]);
    expect(call.written[5]?.node).toMatchObject({ name: 'node-1', platform: 'linux-x64', remoteAddress: '127.0.0.1:4242' });
  });

  it('stops listening when the caller cancels', async () => {
    const { registry, sessions, watchers, watch } = await setup();
    const baseline = sessions.listenerCount('online');
    const call = watch();
    await until(call, 1);
    expect(sessions.listenerCount('online')).toBe(baseline + 1);
    expect(watchers.size).toBe(1);
    call.cancel();
    expect(sessions.listenerCount('online')).toBe(baseline);
    expect(sessions.listenerCount('offline')).toBe(baseline);
    expect(watchers.size).toBe(0);
    await registry.addRequest(newRequest(1));
    await flush();
    expect(call.bodies()).toEqual(['snapshot']);
  });

  it('ends every stream with DAEMON_UNREACHABLE when the admin server stops', async () => {
    const { sessions, watchers, watch } = await setup();
    const calls = [watch(), watch()];
    for (const call of calls) await until(call, 1);
    watchers.closeAll(new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', 'the daemon is shutting down'));
    for (const call of calls) {
      expect(call.error?.code).toBe(grpc.status.UNAVAILABLE);
      expect(call.error?.details).toContain('PALYRA_E_DAEMON_UNREACHABLE');
    }
    expect(watchers.size).toBe(0);
    expect(sessions.listenerCount('online')).toBe(0);
  });
});
