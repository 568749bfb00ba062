/**
 * The per-node queue as the coordinator drives it: at most maxInFlight dispatches on the
 * node at once, the rest waiting in order up to maxQueued, and beyond that a clear
 * rejection instead of unbounded growth.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SchemaWorker } from '../../src/dispatch/index.js';
import { World, startSchemaWorker } from './fakeNode.js';

const A = '01JA0000000000000000000AAA';
const B = '01JB0000000000000000000BBB';

// One real schema worker thread for the file: the coordinator checks inputs in it.
let schemas: SchemaWorker;
beforeAll(() => {
  schemas = startSchemaWorker();
});
afterAll(() => schemas.stop());
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DispatchCoordinator: bounded queue and in-flight limit', () => {
  it('sends at most maxInFlight at once and drains the queue in order as results arrive', async () => {
    const world = new World(schemas, { maxInFlight: 2, maxQueued: 10 });
    const node = (await world.node(A)).connect();
    const dispatches = await Promise.all(Array.from({ length: 6 }, (_, i) => world.submit(A, { text: `n${i}` })));
    expect(node.dispatchedIds).toEqual(dispatches.slice(0, 2).map((d) => d.id));
    expect(dispatches.map((d) => d.state)).toEqual(['sent', 'sent', 'queued', 'queued', 'queued', 'queued']);

    // Finish them out of order: each end frees exactly one slot, taken by the oldest waiting.
    node.succeed(dispatches[1]!.id);
    expect(node.dispatchedIds).toEqual([0, 1, 2].map((i) => dispatches[i]!.id));
    node.result(dispatches[0]!.id, 'failed', '', { code: 'PALYRA_E_PLUGIN_FAILED', message: 'boom' });
    expect(node.dispatchedIds).toEqual([0, 1, 2, 3].map((i) => dispatches[i]!.id));

    while (dispatches.some((d) => !d.finished)) {
      const inFlight = dispatches.filter((d) => d.state === 'sent');
      expect(inFlight.length).toBeGreaterThan(0);
      expect(inFlight.length).toBeLessThanOrEqual(2);
      node.succeed(inFlight[0]!.id);
    }
    const results = await Promise.all(dispatches.map((d) => d.done));
    expect(results.map((r) => r.status)).toEqual(['failed', 'succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(new Set(node.dispatchedIds).size).toBe(6);
    expect(node.dispatchedIds).toEqual(dispatches.map((d) => d.id));
  });

  it('frees the slot of a timed-out, cancelled or otherwise finished dispatch for the next one', async () => {
    const world = new World(schemas, { maxInFlight: 1 });
    const node = (await world.node(A)).connect();
    const slow = await world.submit(A, { text: 'slow' }, { timeoutMs: 1_000 });
    const next = await world.submit(A, { text: 'next' });
    const after = await world.submit(A, { text: 'after' });
    expect(next.state).toBe('queued');

    await vi.advanceTimersByTimeAsync(1_000);
    expect(slow.state).toBe('timed_out');
    expect(next.state).toBe('sent');
    world.coordinator.cancel(next.id);
    expect(after.state).toBe('sent');
    expect(node.dispatchedIds).toEqual([slow.id, next.id, after.id]);
    expect(node.cancels.map(([id]) => id)).toEqual([slow.id, next.id]);
  });

  it('rejects with PALYRA_E_QUEUE_FULL once maxQueued dispatches wait, and accepts again when one leaves', async () => {
    const world = new World(schemas, { maxInFlight: 1, maxQueued: 2 });
    const node = (await world.node(A)).connect();
    const inFlight = await world.submit(A, { text: 'a' });
    const waiting = [await world.submit(A, { text: 'b' }), await world.submit(A, { text: 'c' })];
    expect(waiting.map((d) => d.state)).toEqual(['queued', 'queued']);

    const refused = await world.submit(A, { text: 'd' });
    const result = await refused.done;
    expect(result).toMatchObject({ status: 'rejected', output: null, error: { code: 'PALYRA_E_QUEUE_FULL' } });
    expect(result.error?.message).toContain(A);
    expect(node.dispatchedIds).toEqual([inFlight.id]);

    // One finishes, one moves up: there is room for exactly one more.
    node.succeed(inFlight.id);
    expect((await world.submit(A, { text: 'e' })).state).toBe('queued');
    expect((await (await world.submit(A, { text: 'f' })).done).error?.code).toBe('PALYRA_E_QUEUE_FULL');
  });

  it('bounds each node separately', async () => {
    const world = new World(schemas, { maxInFlight: 1, maxQueued: 1 });
    (await world.node(A)).connect();
    const nodeB = (await world.node(B)).connect();
    await world.submit(A);
    await world.submit(A);
    expect((await world.submit(A)).state).toBe('rejected');
    expect((await world.submit(B)).state).toBe('sent');
    expect((await world.submit(B)).state).toBe('queued');
    expect(nodeB.dispatchedIds).toHaveLength(1);
  });

  it('queues while the node is connected but busy, not while it is offline', async () => {
    const world = new World(schemas, { maxInFlight: 1, maxQueued: 1 });
    const node = await world.node(A);
    expect((await world.submit(A)).state).toBe('node_unavailable');
    node.connect();
    await world.submit(A);
    const waiting = await world.submit(A);
    expect(waiting.state).toBe('queued');
    node.disconnect();
    expect(waiting.state).toBe('node_unavailable');
    // The queue was emptied with the session: a reconnected node has room again.
    node.connect();
    expect((await world.submit(A)).state).toBe('sent');
    expect((await world.submit(A)).state).toBe('queued');
  });

  it('holds 100 dispatches to one node with the default limits and completes them all', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const dispatches = await Promise.all(Array.from({ length: 100 }, (_, i) => world.submit(A, { text: `n${i}` })));
    expect(node.dispatchedIds).toHaveLength(64);
    while (dispatches.some((d) => !d.finished)) {
      const sent = dispatches.find((d) => d.state === 'sent');
      if (sent === undefined) throw new Error('a dispatch neither finished nor sent');
      node.succeed(sent.id, { i: sent.input });
    }
    const results = await Promise.all(dispatches.map((d) => d.done));
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    expect(node.dispatchedIds).toHaveLength(100);
  });
});
