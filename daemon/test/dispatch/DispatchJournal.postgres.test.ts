/**
 * The dispatch journal on a real PostgreSQL server: a request whose strings PostgreSQL cannot
 * store (a NUL in an idempotency key or a capability name) is refused at submit, before the
 * journal, instead of failing the shared commit of every dispatch accepted in the same turn.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DispatchJournal, type SchemaWorker } from '../../src/dispatch/index.js';
import { useStoreEngine } from '../store/storeEngines.js';
import { World, startSchemaWorker } from './fakeNode.js';

const A = '01JA0000000000000000000AAA';

let schemas: SchemaWorker;
beforeAll(() => {
  schemas = startSchemaWorker();
});
afterAll(() => schemas.stop());

const worlds: World[] = [];
afterEach(async () => {
  for (const world of worlds.splice(0)) await world.coordinator.stop();
});

describe('DispatchJournal on PostgreSQL: request strings', () => {
  const engine = useStoreEngine('postgres');

  it('refuses a NUL in an idempotency key or capability at submit; the dispatch accepted in the same turn is unharmed', async () => {
    const store = await engine.open();
    const world = new World(schemas, { journal: new DispatchJournal(store) });
    worlds.push(world);
    await world.coordinator.recover();
    const node = await world.node(A);
    node.connect({ runningDispatchIds: [], finishedDispatchIds: [], reconciles: true });
    const good = world.coordinator.submit({ deviceId: A, capability: 'echo.say', input: { text: 'ok' }, timeoutMs: 60_000 });
    const badKey = world.coordinator.submit({ deviceId: A, capability: 'echo.say', input: { text: 'ok' }, timeoutMs: 60_000, idempotencyKey: 'a\u0000b' });
    const badCapability = world.coordinator.submit({ deviceId: A, capability: 'echo.say\u0000', input: { text: 'ok' }, timeoutMs: 60_000 });
    await expect(badKey).rejects.toMatchObject({ code: 'PALYRA_E_INVALID_ARGUMENT' });
    await expect(badCapability).rejects.toMatchObject({ code: 'PALYRA_E_INVALID_ARGUMENT' });
    const { dispatch } = await good;
    expect(await store.dispatches.get(dispatch.id)).toMatchObject({ capability: 'echo.say' });
  });

  it('answers results for ids that are no dispatch id (a NUL in one) without a journal error, and acknowledges them', async () => {
    const store = await engine.open();
    const errors: string[] = [];
    const world = new World(schemas, { journal: new DispatchJournal(store), onJournalError: (_error, what) => errors.push(what) });
    worlds.push(world);
    await world.coordinator.recover();
    const node = await world.node(A);
    node.connect({ runningDispatchIds: [], finishedDispatchIds: [], reconciles: true });
    const ids = ['bogus\u0000', '../x', '01JA0000000000000000000ZZZ'];
    for (const id of ids) node.succeed(id);
    const deadline = Date.now() + 10_000;
    const acked = (): string[] => node.sent.flatMap((m) => (m.resultAck ? [m.resultAck.dispatchId ?? ''] : []));
    while (acked().length + errors.length < ids.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(errors).toEqual([]);
    expect(acked().sort()).toEqual([...ids].sort());
    await expect(world.coordinator.describe('bogus\u0000')).rejects.toMatchObject({ code: 'PALYRA_E_DISPATCH_NOT_FOUND' });
    // A node filter is a device id, checked as everywhere else (not a query that fails).
    await expect(world.coordinator.list({ deviceId: 'x\u0000', limit: 10 })).rejects.toMatchObject({ code: 'PALYRA_E_INVALID_ARGUMENT' });
  });
});
