/**
 * DispatchCoordinator with its journal on a real SQLite store in a temp dir, against a fake
 * node session (the coordinator's collaborator, as in DispatchCoordinator.test.ts): rows
 * written ahead, restarts (a second coordinator over the same database, the first one
 * stopped first, its journal left as a crash leaves it), idempotency keys across them, reconciliation with the node's
 * hello, `unknown` and what replaces it, session loss, stop, bounded results, retention.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DispatchJournal, type Dispatch, type Submitted, type SchemaWorker } from '../../src/dispatch/index.js';
import { openStore, type SqlStore } from '../../src/store/index.js';
import { World, record, startSchemaWorker, type FakeNode } from './fakeNode.js';

const A = '01JA0000000000000000000AAA';

let schemas: SchemaWorker;
beforeAll(() => {
  schemas = startSchemaWorker();
});
afterAll(() => schemas.stop());

let dir: string;
const stores: SqlStore[] = [];
const worlds: World[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palyra-journal-'));
});
afterEach(async () => {
  for (const world of worlds.splice(0)) await world.coordinator.stop();
  for (const store of stores.splice(0)) await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A daemon's dispatch side over the database in `dir`; a second one over the same file is the daemon after a restart. */
async function daemon(options: { maxInFlight?: number; maxResultBytes?: number; retention?: { maxAgeMs?: number; maxFinished?: number; idempotencyWindowMs?: number } } = {}): Promise<{ world: World; store: SqlStore; node: FakeNode }> {
  const store = await openStore({ stateDir: dir });
  stores.push(store);
  const world = new World(schemas, {
    journal: new DispatchJournal(store, options.maxResultBytes),
    ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
    ...(options.retention === undefined ? {} : { retention: options.retention }),
  });
  worlds.push(world);
  await world.coordinator.recover();
  const node = await world.node(A);
  return { world, store, node };
}

/**
 * A keyed dispatch that succeeded, a daemon restart, and the same request retried with the
 * same key on the restarted daemon (whose node reconnects with nothing to report).
 */
async function retriedAfterRestart(): Promise<{ original: Dispatch; second: Awaited<ReturnType<typeof daemon>>; again: Submitted }> {
  const first = await daemon();
  first.node.connect();
  const original = await first.world.submit(A, { text: 'hi' }, { idempotencyKey: 'k' });
  await waitFor(() => first.node.dispatchedIds.includes(original.id), 'the dispatch to reach the node');
  first.node.succeed(original.id, { said: 'hi' });
  await first.world.coordinator.stop();

  const second = await daemon();
  second.node.connect({ runningDispatchIds: [], finishedDispatchIds: [], reconciles: true });
  const again = await second.world.coordinator.submit({ deviceId: A, capability: 'echo.say', input: { text: 'hi' }, timeoutMs: 60_000, idempotencyKey: 'k' });
  return { original, second, again };
}

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function acks(node: FakeNode): string[] {
  return node.sent.flatMap((m) => (m.resultAck ? [m.resultAck.dispatchId ?? ''] : []));
}

async function rowState(store: SqlStore, id: string): Promise<string | undefined> {
  return (await store.dispatches.get(id))?.state;
}

describe('DispatchJournal: written ahead', () => {
  it('holds a row before the caller hears of the dispatch, and `sent` before the node does', async () => {
    const { world, store, node } = await daemon();
    const seenAtSend: Array<Promise<string | undefined>> = [];
    world.coordinator.nodeOnline(A, (message) => {
      node.sent.push(message);
      // Read at the moment the message goes out: the row must already say sent.
      if (message.dispatch) seenAtSend.push(rowState(store, message.dispatch.dispatchId));
    });
    const { dispatch } = await world.coordinator.submit({ deviceId: A, capability: 'echo.say', input: { text: 'hi' }, timeoutMs: 60_000, idempotencyKey: 'k1' });
    const row = await store.dispatches.get(dispatch.id);
    expect(row).toMatchObject({ deviceId: A, capability: 'echo.say', caller: 'local', idempotencyKey: 'k1', inputJson: '{"text":"hi"}' });
    expect(row?.inputHash).toBe(DispatchJournal.inputHash('echo.say', '{"text":"hi"}'));
    await waitFor(() => node.dispatchedIds.includes(dispatch.id), 'the dispatch to reach the node');
    expect(await Promise.all(seenAtSend)).toEqual(['sent']);

    node.started(dispatch.id);
    node.succeed(dispatch.id, { said: 'hi' });
    await waitFor(async () => (await store.dispatches.get(dispatch.id))?.finishedAt !== null, 'the result to be journaled');
    const done = await store.dispatches.get(dispatch.id);
    expect(done).toMatchObject({ state: 'succeeded', inputJson: null });
    expect(JSON.parse(done?.resultJson ?? '')).toMatchObject({ status: 'succeeded', output: { said: 'hi' }, error: null });
  });

  it('keeps a bounded result: an output over the cap is recorded without it, marked truncated; the live result is whole', async () => {
    const { world, store, node } = await daemon({ maxResultBytes: 1024 });
    node.connect();
    const dispatch = await world.submit(A);
    const big = { text: 'x'.repeat(5_000) };
    await waitFor(() => node.dispatchedIds.includes(dispatch.id), 'the dispatch to reach the node');
    node.succeed(dispatch.id, big);
    expect((await dispatch.done).output).toEqual(big);
    await waitFor(async () => (await store.dispatches.get(dispatch.id))?.finishedAt !== null, 'the result to be journaled');
    const stored = JSON.parse((await store.dispatches.get(dispatch.id))?.resultJson ?? '') as Record<string, unknown>;
    expect(stored).toMatchObject({ status: 'succeeded', output: null, truncated: true, outputBytes: JSON.stringify(big).length });
    expect(await world.coordinator.describe(dispatch.id)).toMatchObject({ state: 'succeeded' });
  });

  it('bounds a result by its bytes, not its UTF-16 length: an output of 3-byte characters within the cap in characters is truncated', async () => {
    const { world, store, node } = await daemon({ maxResultBytes: 1024 });
    node.connect();
    const dispatch = await world.submit(A);
    const wide = { text: '\u4e2d'.repeat(900) }; // 900 characters, 2,700 bytes of UTF-8
    await waitFor(() => node.dispatchedIds.includes(dispatch.id), 'the dispatch to reach the node');
    node.succeed(dispatch.id, wide);
    await waitFor(async () => (await store.dispatches.get(dispatch.id))?.finishedAt !== null, 'the result to be journaled');
    const row = (await store.dispatches.get(dispatch.id))?.resultJson ?? '';
    expect(Buffer.byteLength(row)).toBeLessThanOrEqual(1024);
    expect(JSON.parse(row)).toMatchObject({ output: null, truncated: true, outputBytes: Buffer.byteLength(JSON.stringify(wide)) });
  });
});

describe('DispatchJournal: a restart', () => {
  it('ends a dispatch queued at the crash daemon_restarted, never sending it, and keeps the sent one open for its node', async () => {
    const first = await daemon({ maxInFlight: 1 });
    first.node.connect();
    const sent = await first.world.submit(A, { text: 'one' }, { idempotencyKey: 'one' });
    const queued = await first.world.submit(A, { text: 'two' }, { idempotencyKey: 'two' });
    await waitFor(async () => (await rowState(first.store, sent.id)) === 'sent', 'the first dispatch to be sent');
    expect(await rowState(first.store, queued.id)).toBe('queued');

    // The crash: the first daemon stops doing anything (its journal as it is); a new one opens the same database.
    await first.world.coordinator.stop();
    const second = await daemon({ maxInFlight: 1 });
    expect(await rowState(second.store, queued.id)).toBe('daemon_restarted');
    expect(second.world.coordinator.get(sent.id)?.state).toBe('sent');
    // A retry of the queued one by key returns its record: not sent again.
    const retried = await second.world.coordinator.submit({ deviceId: A, capability: 'echo.say', input: { text: 'two' }, timeoutMs: 60_000, idempotencyKey: 'two' });
    expect(retried.deduplicated).toBe(true);
    expect(retried.dispatch.id).toBe(queued.id);
    expect((await retried.dispatch.done).status).toBe('daemon_restarted');
    expect((await retried.dispatch.done).error?.code).toBe('PALYRA_E_DAEMON_RESTARTED');

    // The node comes back: it still runs the sent one, whose result then arrives on this session.
    second.node.connect({ runningDispatchIds: [sent.id], finishedDispatchIds: [], reconciles: true });
    second.node.succeed(sent.id, { said: 'one' });
    const reattached = second.world.coordinator.get(sent.id) as Dispatch;
    expect((await reattached.done).status).toBe('succeeded');
    await waitFor(() => acks(second.node).includes(sent.id), 'the ResultAck');
    expect(await rowState(second.store, sent.id)).toBe('succeeded');
    expect(second.node.dispatchedIds).toEqual([]);
  });

  it('returns the recorded dispatch for a key retried after a restart, and refuses the key with another input', async () => {
    const { original, second, again } = await retriedAfterRestart();
    expect(again).toMatchObject({ deduplicated: true });
    expect(await again.dispatch.done).toMatchObject({ dispatchId: original.id, status: 'succeeded', output: { said: 'hi' } });
    await expect(second.world.coordinator.submit({ deviceId: A, capability: 'echo.say', input: { text: 'other' }, timeoutMs: 60_000, idempotencyKey: 'k' })).rejects.toMatchObject({
      code: 'PALYRA_E_IDEMPOTENCY_MISMATCH',
    });
    expect(second.node.dispatchedIds).toEqual([]);
  });

  it('takes a result from the node outbox after a restart, acknowledges it, and makes a sent dispatch the node lost unknown', async () => {
    const first = await daemon();
    first.node.connect();
    const finishedMeanwhile = await first.world.submit(A, { text: 'a' });
    const lost = await first.world.submit(A, { text: 'b' });
    await waitFor(async () => (await rowState(first.store, lost.id)) === 'sent', 'both to be sent');
    await first.world.coordinator.stop();

    const second = await daemon();
    second.node.connect({ runningDispatchIds: [], finishedDispatchIds: [finishedMeanwhile.id], reconciles: true });
    const lostAgain = second.world.coordinator.get(lost.id) as Dispatch;
    expect(await lostAgain.done).toMatchObject({ status: 'unknown', error: expect.objectContaining({ code: 'PALYRA_E_DISPATCH_UNKNOWN' }) });
    // The outboxed result comes right after the welcome.
    second.node.succeed(finishedMeanwhile.id, { said: 'a' });
    await waitFor(() => acks(second.node).includes(finishedMeanwhile.id), 'the ResultAck');
    expect(await rowState(second.store, finishedMeanwhile.id)).toBe('succeeded');
    // A real result that arrives later still replaces unknown, and is acknowledged.
    second.node.succeed(lost.id, { said: 'b' });
    await waitFor(() => acks(second.node).includes(lost.id), 'the ResultAck of the late one');
    expect(await rowState(second.store, lost.id)).toBe('succeeded');
    expect(await second.world.coordinator.describe(lost.id)).toMatchObject({ state: 'succeeded', result: { output: { said: 'b' } } });
    // A result delivered twice is acknowledged again and changes nothing.
    second.node.result(finishedMeanwhile.id, 'failed', '', { code: 'PALYRA_E_PLUGIN_FAILED', message: 'again' });
    await waitFor(() => acks(second.node).filter((id) => id === finishedMeanwhile.id).length === 2, 'the second ResultAck');
    expect(await rowState(second.store, finishedMeanwhile.id)).toBe('succeeded');
  });

  it('makes a sent dispatch unknown when its deadline passes before its node comes back', async () => {
    const first = await daemon();
    first.node.connect();
    const dispatch = await first.world.submit(A, { text: 'a' }, { timeoutMs: 300 });
    await waitFor(async () => (await rowState(first.store, dispatch.id)) === 'sent', 'the dispatch to be sent');
    await first.world.coordinator.stop();
    const second = await daemon();
    const restored = second.world.coordinator.get(dispatch.id) as Dispatch;
    expect((await restored.done).status).toBe('unknown');
    await waitFor(async () => (await rowState(second.store, dispatch.id)) === 'unknown', 'unknown to be journaled');
  });
});

describe('DispatchJournal: a lost session', () => {
  it('keeps what a reconciling node was sent open across the loss, and takes its report on the next session', async () => {
    const { world, store, node } = await daemon();
    node.connect({ runningDispatchIds: [], finishedDispatchIds: [], reconciles: true });
    const running = await world.submit(A, { text: 'run' });
    await waitFor(() => node.dispatchedIds.includes(running.id), 'the dispatch to reach the node');
    node.started(running.id);
    node.disconnect();
    expect(running.finished).toBe(false);
    // Submitted while the node is away: refused at once as before.
    expect((await world.submit(A, { text: 'later' })).state).toBe('node_unavailable');

    node.connect({ runningDispatchIds: [running.id], finishedDispatchIds: [], reconciles: true });
    node.succeed(running.id, { said: 'run' });
    expect((await running.done).status).toBe('succeeded');
    await waitFor(async () => (await rowState(store, running.id)) === 'succeeded', 'the result to be journaled');
  });

  it('still fails what an agent that does not reconcile was sent, node_unavailable', async () => {
    const { world, node } = await daemon();
    node.connect();
    const running = await world.submit(A, { text: 'run' });
    await waitFor(() => node.dispatchedIds.includes(running.id), 'the dispatch to reach the node');
    node.disconnect();
    expect((await running.done).status).toBe('node_unavailable');
  });

  it('makes a sent dispatch unknown, not timed_out, when its deadline passes while its node is away', async () => {
    const { world, node } = await daemon();
    node.connect({ runningDispatchIds: [], finishedDispatchIds: [], reconciles: true });
    const running = await world.submit(A, { text: 'run' }, { timeoutMs: 300 });
    await waitFor(() => node.dispatchedIds.includes(running.id), 'the dispatch to reach the node');
    node.disconnect();
    expect((await running.done).status).toBe('unknown');
  });
});

describe('DispatchJournal: stopping', () => {
  it('cancels nothing: watchers are told the daemon is stopping and the journal keeps the dispatch unfinished', async () => {
    const { world, store, node } = await daemon({ maxInFlight: 1 });
    node.connect({ runningDispatchIds: [], finishedDispatchIds: [], reconciles: true });
    const running = await world.submit(A, { text: 'run' });
    const waiting = await world.submit(A, { text: 'wait' });
    await waitFor(async () => (await rowState(store, running.id)) === 'sent', 'the dispatch to be sent');
    const events = record(running);
    await world.coordinator.stop();
    expect(events).toEqual([{ type: 'interrupted', error: expect.objectContaining({ code: 'PALYRA_E_DAEMON_UNREACHABLE' }) }]);
    // What the daemon does as it stops (the node's session closing, callers going away) finishes nothing.
    node.disconnect();
    expect(world.coordinator.cancel(running.id)).toBe(false);
    expect(running.finished).toBe(false);
    expect(node.cancels).toEqual([]);
    expect(await rowState(store, running.id)).toBe('sent');
    expect(await rowState(store, waiting.id)).toBe('queued');
  });
});

describe('DispatchJournal: retention', () => {
  it('prunes finished rows past the count, never those younger than the idempotency window', async () => {
    const { store } = await daemon();
    const now = Date.now();
    const day = 24 * 60 * 60_000;
    const row = (id: string, finishedAt: number | null) => ({
      id, deviceId: A, capability: 'echo.say', caller: 'local', idempotencyKey: id, inputHash: 'h', inputJson: finishedAt === null ? '{}' : null,
      state: finishedAt === null ? ('sent' as const) : ('succeeded' as const), createdAt: (finishedAt ?? now) - 1, deadlineAt: now + day,
      sentAt: null, finishedAt, resultJson: finishedAt === null ? null : '{}',
    });
    await store.transaction(async (repos) => {
      await repos.dispatches.insert(row('old-1', now - 3 * day));
      await repos.dispatches.insert(row('old-2', now - 2 * day));
      await repos.dispatches.insert(row('recent-1', now - 60_000));
      await repos.dispatches.insert(row('recent-2', now - 30_000));
      await repos.dispatches.insert(row('open', null));
    });
    const journal = new DispatchJournal(store);
    expect(await journal.prune({ maxAgeMs: 7 * day, maxFinished: 1, idempotencyWindowMs: day }, now)).toBe(2);
    expect((await store.dispatches.list({ limit: 10 })).map((r) => r.id).sort()).toEqual(['open', 'recent-1', 'recent-2']);
    expect(await journal.prune({ maxAgeMs: 0, maxFinished: 0, idempotencyWindowMs: 0 }, now)).toBe(2);
    expect((await store.dispatches.list({ limit: 10 })).map((r) => r.id)).toEqual(['open']);
  });
});

describe('DispatchJournal: review of idempotency keys', () => {
  it('refuses a key retried with input null once its finished dispatch was restored from the journal (the row keeps no input)', async () => {
    // A correct retry brings the recorded dispatch back into memory...
    const { second, again } = await retriedAfterRestart();
    expect(again).toMatchObject({ deduplicated: true });
    // ...and the same key with another input (null) is still a mismatch, not the first result.
    await expect(second.world.coordinator.submit({ deviceId: A, capability: 'echo.say', input: null, timeoutMs: 60_000, idempotencyKey: 'k' })).rejects.toMatchObject({
      code: 'PALYRA_E_IDEMPOTENCY_MISMATCH',
    });
  });
});

describe('DispatchJournal: review of cross-node reports', () => {
  const B = '01JB0000000000000000000BBB';

  it('lets no other node settle a dispatch waiting for its node, nor replace its unknown, nor its journal row after a restart', async () => {
    const first = await daemon();
    first.node.connect({ runningDispatchIds: [], finishedDispatchIds: [], reconciles: true });
    const waiting = await first.world.submit(A, { text: 'w' }, { timeoutMs: 60_000 });
    // Long enough to be sent before it runs out on a loaded machine (300 ms was not, once), short
    // enough that its end (unknown: its node left with it) comes soon.
    const soon = await first.world.submit(A, { text: 's' }, { timeoutMs: 1_500 });
    await waitFor(async () => (await rowState(first.store, soon.id)) === 'sent', 'both to be sent');
    first.node.disconnect();
    const intruder = await first.world.node(B);
    // B lists A's dispatch as running and as finished, and reports results for both.
    intruder.connect({ runningDispatchIds: [waiting.id, soon.id], finishedDispatchIds: [waiting.id, soon.id], reconciles: true });
    intruder.succeed(waiting.id, { forged: true });
    expect(waiting.state).toBe('sent');
    expect((await soon.done).status).toBe('unknown');
    intruder.succeed(soon.id, { forged: true });
    await first.world.coordinator.stop();
    expect(await rowState(first.store, soon.id)).toBe('unknown');

    const second = await daemon();
    const intruderAgain = await second.world.node(B);
    intruderAgain.connect({ runningDispatchIds: [], finishedDispatchIds: [], reconciles: true });
    intruderAgain.succeed(waiting.id, { forged: true });
    intruderAgain.succeed(soon.id, { forged: true });
    // Reports are handled in order: the ack of the journal look-up of the second means both were.
    await waitFor(() => acks(intruderAgain).includes(soon.id), 'the answer to the second report (nothing stored)');
    expect(await rowState(second.store, soon.id)).toBe('unknown');
    expect(await rowState(second.store, waiting.id)).toBe('sent');
    expect(intruder.dispatchedIds).toEqual([]);
  });
});

describe('DispatchJournal: review of a result whose write failed', () => {
  it('stores a result the node sends again after its first write failed (an outside lock), instead of acknowledging it unstored', async () => {
    const store = await openStore({ stateDir: dir });
    stores.push(store);
    const errors: string[] = [];
    const world = new World(schemas, { journal: new DispatchJournal(store), onJournalError: (_error, what) => errors.push(what) });
    worlds.push(world);
    await world.coordinator.recover();
    const node = await world.node(A);
    node.connect({ runningDispatchIds: [], finishedDispatchIds: [], reconciles: true });
    const dispatch = await world.submit(A, { text: 'hi' });
    await waitFor(async () => (await rowState(store, dispatch.id)) === 'sent', 'the dispatch to be sent');

    // Another process holds the write lock: the result's write fails (after the busy timeout).
    const outside = new Database(path.join(dir, 'palyrad.db'), { fileMustExist: true });
    outside.exec('BEGIN IMMEDIATE');
    node.succeed(dispatch.id, { said: 'hi' });
    await waitFor(() => errors.length > 0, 'the failed write');
    outside.exec('ROLLBACK');
    outside.close();
    expect(acks(node)).toEqual([]);

    // The node kept it (no ack) and sends it again on its next session.
    node.disconnect();
    node.connect({ runningDispatchIds: [], finishedDispatchIds: [dispatch.id], reconciles: true });
    node.succeed(dispatch.id, { said: 'hi' });
    await waitFor(() => acks(node).includes(dispatch.id), 'the ResultAck');
    expect(await rowState(store, dispatch.id)).toBe('succeeded');
  });
});
