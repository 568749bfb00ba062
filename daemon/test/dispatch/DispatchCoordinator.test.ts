/**
 * DispatchCoordinator against a fake node session (the `send` function a node's Session
 * stream gives it, and the messages a node sends back): the dispatch state machine,
 * deadlines, cancel, nodes going offline, routing of reports and malformed results.
 */
import { PalyraError } from '@palyra/shared';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SchemaWorker } from '../../src/dispatch/index.js';
import { ECHO, World, capability, record, startSchemaWorker } from './fakeNode.js';

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

describe('DispatchCoordinator: the state machine', () => {
  it('moves queued -> sent -> running -> succeeded, streaming output and progress on the way', async () => {
    const world = new World(schemas, { maxInFlight: 1 });
    const node = (await world.node(A)).connect();
    const busy = await world.submit(A, { text: 'busy' });
    const submittedAt = Date.now();
    const dispatch = await world.submit(A, { text: 'hi' });
    expect(dispatch.state).toBe('queued');
    const events = record(dispatch);

    node.succeed(busy.id);
    node.sent.splice(0, 1);
    expect(dispatch.state).toBe('sent');
    expect(node.dispatches).toEqual([
      expect.objectContaining({ dispatchId: dispatch.id, capability: 'echo.say', inputJson: '{"text":"hi"}', idempotencyKey: '' }),
    ]);
    expect(Number(node.dispatches[0]?.deadlineUnixMs)).toBe(dispatch.deadline.getTime());
    // The time left travels too: a node counts its deadline from receipt on its own clock.
    expect(Number(node.dispatches[0]?.timeoutMs)).toBeGreaterThan(0);
    expect(Number(node.dispatches[0]?.timeoutMs)).toBeLessThanOrEqual(dispatch.deadline.getTime() - submittedAt);

    node.started(dispatch.id);
    expect(dispatch.state).toBe('running');
    node.output(dispatch.id, 'part one ');
    node.output(dispatch.id, '', { ratio: 0.5, message: 'half way' });
    node.output(dispatch.id, 'part two');
    node.succeed(dispatch.id, { said: 'hi' });

    expect(dispatch.state).toBe('succeeded');
    const result = await dispatch.done;
    expect(result).toMatchObject({ dispatchId: dispatch.id, status: 'succeeded', output: { said: 'hi' }, error: null });
    expect(events.map((e) => (e.type === 'output' ? `output:${e.chunk.toString()}` : e.type === 'state' ? `state:${e.state}` : e.type))).toEqual([
      'state:sent',
      'state:running',
      'output:part one ',
      'progress',
      'output:part two',
      'result',
    ]);
    expect(events[3]).toEqual({ type: 'progress', ratio: 0.5, message: 'half way' });
  });

  it('never moves backwards: a late "started" after output keeps it running', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const dispatch = await world.submit(A);
    const events = record(dispatch);
    node.output(dispatch.id, 'early output');
    expect(dispatch.state).toBe('running');
    node.started(dispatch.id);
    expect(dispatch.state).toBe('running');
    expect(events.filter((e) => e.type === 'state')).toEqual([{ type: 'state', state: 'running' }]);
  });

  it('lets the first terminal status win: a result after a cancel is ignored, and so is output', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const dispatch = await world.submit(A);
    node.started(dispatch.id);
    expect(world.coordinator.cancel(dispatch.id)).toBe(true);
    const events = record(dispatch);
    expect(events).toEqual([{ type: 'result', result: expect.objectContaining({ status: 'cancelled' }) }]);

    node.output(dispatch.id, 'too late');
    node.succeed(dispatch.id);
    expect(dispatch.state).toBe('cancelled');
    expect((await dispatch.done).status).toBe('cancelled');
    expect(world.coordinator.cancel(dispatch.id)).toBe(false);
  });

  it('lets the first terminal status win: the deadline after a result does nothing', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const dispatch = await world.submit(A, { text: 'hi' }, { timeoutMs: 1_000 });
    node.succeed(dispatch.id);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(dispatch.state).toBe('succeeded');
    expect(node.cancels).toEqual([]);
  });

  it('times a dispatch out at its deadline and tells the node to stop it', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const dispatch = await world.submit(A, { text: 'hi' }, { timeoutMs: 1_000 });
    node.started(dispatch.id);

    await vi.advanceTimersByTimeAsync(999);
    expect(dispatch.state).toBe('running');
    await vi.advanceTimersByTimeAsync(1);
    const result = await dispatch.done;
    expect(result.status).toBe('timed_out');
    expect(result.error?.code).toBe('PALYRA_E_TIMEOUT');
    expect(result.error?.message).toContain('echo.say');
    expect(node.cancels).toEqual([[dispatch.id, expect.any(String)]]);

    // The node's own timed_out (or a late success) changes nothing.
    node.result(dispatch.id, 'succeeded', '{}');
    expect(dispatch.state).toBe('timed_out');
  });

  it('names the capability and the plugin in a daemon-side timeout', async () => {
    const world = new World(schemas);
    (await world.node(A)).connect();
    const dispatch = await world.submit(A, { text: 'hi' }, { timeoutMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    const { error } = await dispatch.done;
    expect(error?.message).toMatch(/echo\.say/);
    expect(error?.message).toMatch(/plugin "echo"/);
    expect(error?.details).toMatchObject({ capability: 'echo.say', plugin: 'echo' });
  });

  it('times out a dispatch still queued without sending a cancel for it', async () => {
    const world = new World(schemas, { maxInFlight: 1 });
    const node = (await world.node(A)).connect();
    const first = await world.submit(A, { text: 'one' }, { timeoutMs: 60_000 });
    const second = await world.submit(A, { text: 'two' }, { timeoutMs: 1_000 });
    expect(second.state).toBe('queued');

    await vi.advanceTimersByTimeAsync(1_000);
    expect(second.state).toBe('timed_out');
    expect(node.cancels).toEqual([]);
    // The first one finishing does not send the dead second one.
    node.succeed(first.id);
    expect(node.dispatchedIds).toEqual([first.id]);
  });

  it('cancels a running dispatch on the node, with the reason', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const dispatch = await world.submit(A);
    node.started(dispatch.id);
    expect(world.coordinator.cancel(dispatch.id, 'the caller went away')).toBe(true);
    const result = await dispatch.done;
    expect(result).toMatchObject({ status: 'cancelled', output: null, error: { code: 'PALYRA_E_CANCELLED', message: 'the caller went away' } });
    expect(node.cancels).toEqual([[dispatch.id, 'the caller went away']]);
  });

  it('cancels a queued dispatch without bothering the node, and the queue moves on', async () => {
    const world = new World(schemas, { maxInFlight: 1 });
    const node = (await world.node(A)).connect();
    const first = await world.submit(A, { text: 'one' });
    const second = await world.submit(A, { text: 'two' });
    const third = await world.submit(A, { text: 'three' });
    world.coordinator.cancel(second.id);
    expect(second.state).toBe('cancelled');
    expect(node.cancels).toEqual([]);
    node.succeed(first.id);
    expect(node.dispatchedIds).toEqual([first.id, third.id]);
  });

  it('refuses to cancel a dispatch it does not know', () => {
    const world = new World(schemas);
    expect(() => world.coordinator.cancel('01JZ0000000000000000000ZZZ')).toThrow(
      expect.objectContaining({ code: 'PALYRA_E_DISPATCH_NOT_FOUND' }),
    );
  });
});

describe('DispatchCoordinator: requests refused before anything is sent', () => {
  it('rejects input that fails the announced schema with PALYRA_E_INPUT_INVALID, listing the problems', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const dispatch = await world.submit(A, { text: 'far too long for the schema', extra: true });
    const result = await dispatch.done;
    expect(result.status).toBe('rejected');
    expect(result.error?.code).toBe('PALYRA_E_INPUT_INVALID');
    expect(result.error?.message).toContain('echo.say');
    expect(result.error?.details?.problems).toEqual(expect.arrayContaining([expect.stringContaining('additional'), expect.stringContaining('10')]));
    expect(node.sent).toEqual([]);
  });

  it('rejects an unknown capability with PALYRA_E_CAPABILITY_NOT_FOUND', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const result = await (await world.submit(A, {}, { capability: 'nope.never' })).done;
    expect(result).toMatchObject({ status: 'rejected', error: { code: 'PALYRA_E_CAPABILITY_NOT_FOUND' } });
    expect(result.error?.message).toContain('nope.never');
    expect(node.sent).toEqual([]);
  });

  it('gives node_unavailable at once for a node that is not connected', async () => {
    const world = new World(schemas);
    await world.node(A);
    const result = await (await world.submit(A)).done;
    expect(result).toMatchObject({ status: 'node_unavailable', error: { code: 'PALYRA_E_NODE_UNAVAILABLE' } });
  });

  it('throws for an unregistered node and for a timeout out of bounds', async () => {
    const world = new World(schemas, { maxTimeoutMs: 60_000 });
    (await world.node(A)).connect();
    await expect(world.submit(B)).rejects.toThrow(expect.objectContaining({ code: 'PALYRA_E_NODE_NOT_FOUND' }));
    await expect(world.submit(A, {}, { timeoutMs: 0 })).rejects.toThrow(expect.objectContaining({ code: 'PALYRA_E_INVALID_ARGUMENT' }));
    await expect(world.submit(A, {}, { timeoutMs: 60_001 })).rejects.toThrow(expect.objectContaining({ code: 'PALYRA_E_INVALID_ARGUMENT' }));
    await expect(world.submit(A, {}, { timeoutMs: Number.NaN })).rejects.toThrow(PalyraError);
  });
});

describe('DispatchCoordinator: nodes going offline', () => {
  it('turns queued and in-flight dispatches into node_unavailable when the node disconnects', async () => {
    const world = new World(schemas, { maxInFlight: 1 });
    const node = (await world.node(A)).connect();
    const inFlight = await world.submit(A, { text: 'one' });
    const queued = await world.submit(A, { text: 'two' });
    node.started(inFlight.id);
    expect([inFlight.state, queued.state]).toEqual(['running', 'queued']);

    node.disconnect();
    for (const dispatch of [inFlight, queued]) {
      const result = await dispatch.done;
      expect(result).toMatchObject({ status: 'node_unavailable', error: { code: 'PALYRA_E_NODE_UNAVAILABLE' } });
    }
    // Nothing more went down the old stream, and no cancel: it is gone.
    expect(node.dispatchedIds).toEqual([inFlight.id]);
    expect(node.cancels).toEqual([]);
  });

  it('ignores late reports from an old session, and serves the node again once it reconnects', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const lost = await world.submit(A);
    node.disconnect();
    expect(lost.state).toBe('node_unavailable');
    expect((await world.submit(A)).state).toBe('node_unavailable');

    node.connect();
    node.succeed(lost.id);
    expect(lost.state).toBe('node_unavailable');
    const fresh = await world.submit(A);
    expect(fresh.state).toBe('sent');
    node.succeed(fresh.id);
    expect((await fresh.done).status).toBe('succeeded');
  });

  it('keeps another node\'s dispatches running when one node disconnects', async () => {
    const world = new World(schemas);
    (await world.node(A)).connect();
    const nodeB = (await world.node(B)).connect();
    const onB = await world.submit(B);
    world.coordinator.nodeOffline(A);
    expect(onB.state).toBe('sent');
    nodeB.succeed(onB.id);
    expect(onB.state).toBe('succeeded');
  });
});

describe('DispatchCoordinator: who may report what', () => {
  it('does not let a node report on another node\'s dispatch', async () => {
    const world = new World(schemas);
    (await world.node(A)).connect();
    const intruder = (await world.node(B)).connect();
    const dispatch = await world.submit(A);
    const events = record(dispatch);

    intruder.started(dispatch.id);
    intruder.output(dispatch.id, 'forged output', { ratio: 1, message: 'forged' });
    intruder.succeed(dispatch.id, { forged: true });
    intruder.result(dispatch.id, 'failed', '', { code: 'PALYRA_E_PLUGIN_FAILED', message: 'forged' });

    expect(dispatch.state).toBe('sent');
    expect(events).toEqual([]);
  });

  it('ignores reports on a dispatch that was not sent to the node yet', async () => {
    const world = new World(schemas, { maxInFlight: 1 });
    const node = (await world.node(A)).connect();
    const first = await world.submit(A, { text: 'one' });
    const waiting = await world.submit(A, { text: 'two' });
    const events = record(waiting);

    node.started(waiting.id);
    node.output(waiting.id, 'not yet');
    node.succeed(waiting.id, { premature: true });
    expect(waiting.state).toBe('queued');
    expect(events).toEqual([]);

    // It still goes to the node in turn, and finishes normally.
    node.succeed(first.id);
    expect(waiting.state).toBe('sent');
    node.succeed(waiting.id);
    expect(waiting.state).toBe('succeeded');
  });

  it('ignores reports for unknown dispatch ids', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const dispatch = await world.submit(A, { text: 'one' });
    const events = record(dispatch);
    node.started('');
    node.output('01JZ0000000000000000000ZZZ', 'stray');
    node.succeed('01JZ0000000000000000000ZZZ', { stray: true });
    // The dispatch the node does run is untouched, and the node still reports on it.
    expect(dispatch.state).toBe('sent');
    expect(events).toEqual([]);
    node.succeed(dispatch.id, { said: 'one' });
    expect(dispatch.state).toBe('succeeded');
    expect(await dispatch.done).toMatchObject({ status: 'succeeded', output: { said: 'one' } });
  });
});

describe('DispatchCoordinator: malformed results', () => {
  it('fails a dispatch whose output is not JSON with PALYRA_E_OUTPUT_INVALID', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const dispatch = await world.submit(A);
    node.result(dispatch.id, 'succeeded', '{"half": ');
    const result = await dispatch.done;
    expect(result).toMatchObject({ status: 'failed', output: null, error: { code: 'PALYRA_E_OUTPUT_INVALID' } });
  });

  it('fails a dispatch whose output is larger than the limit', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const dispatch = await world.submit(A);
    node.result(dispatch.id, 'succeeded', JSON.stringify('x'.repeat(4 * 1024 * 1024 + 1)));
    expect((await dispatch.done).error?.code).toBe('PALYRA_E_LIMIT_EXCEEDED');
  });

  it('treats an unknown status as failed, and a failure without error as PALYRA_E_PLUGIN_FAILED', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const odd = await world.submit(A);
    node.result(odd.id, 'exploded', '{"ignored":true}');
    expect(await odd.done).toMatchObject({ status: 'failed', output: null, error: { code: 'PALYRA_E_PLUGIN_FAILED' } });

    const bare = await world.submit(A);
    node.result(bare.id, 'timed_out');
    expect(await bare.done).toMatchObject({ status: 'timed_out', error: { code: 'PALYRA_E_PLUGIN_FAILED' } });
  });

  it('keeps the node\'s error code, message and details, and maps an unknown code to PALYRA_E_INTERNAL', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const denied = await world.submit(A);
    node.result(denied.id, 'failed', '', { code: 'PALYRA_E_CAPABILITY_DENIED', message: 'path "x" refused' });
    expect(await denied.done).toMatchObject({ status: 'failed', error: { code: 'PALYRA_E_CAPABILITY_DENIED', message: 'path "x" refused' } });

    const detailed = await world.submit(A);
    node.report({
      body: 'result',
      result: {
        dispatchId: detailed.id,
        status: 'failed',
        outputJson: '',
        error: { code: 'PALYRA_E_FS_IO', message: 'EACCES', detailsJson: JSON.stringify({ plugin: 'echo', capability: 'echo.say', errno: 'EACCES' }) },
      },
    });
    expect((await detailed.done).error).toEqual({
      code: 'PALYRA_E_FS_IO',
      message: 'EACCES',
      details: { plugin: 'echo', capability: 'echo.say', errno: 'EACCES' },
    });

    const bogus = await world.submit(A);
    node.result(bogus.id, 'failed', '', { code: 'NOT_A_CODE', message: 'whatever' });
    expect((await bogus.done).error?.code).toBe('PALYRA_E_INTERNAL');
  });

  it('drops error details that are not a JSON object or are too large, keeping code and message', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    for (const detailsJson of ['not json', '[1,2]', '"text"', JSON.stringify({ big: 'x'.repeat(70 * 1024) })]) {
      const dispatch = await world.submit(A);
      node.report({
        body: 'result',
        result: { dispatchId: dispatch.id, status: 'failed', outputJson: '', error: { code: 'PALYRA_E_PLUGIN_FAILED', message: 'boom', detailsJson } },
      });
      expect((await dispatch.done).error).toEqual({ code: 'PALYRA_E_PLUGIN_FAILED', message: 'boom' });
    }
  });

  it('gives null output for a success with no output', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const dispatch = await world.submit(A);
    node.result(dispatch.id, 'succeeded', '');
    expect(await dispatch.done).toMatchObject({ status: 'succeeded', output: null });
  });
});

describe('DispatchCoordinator: idempotency keys', () => {
  it('returns the same dispatch for the same key on the same node, running or finished', async () => {
    const world = new World(schemas);
    const node = (await world.node(A)).connect();
    const first = await world.coordinator.submit({ deviceId: A, capability: 'echo.say', input: { text: 'hi' }, timeoutMs: 60_000, idempotencyKey: 'k1' });
    expect(first.deduplicated).toBe(false);
    // Submitted while the first one's input is still being checked: found by its key all the same.
    const again = await world.coordinator.submit({ deviceId: A, capability: 'echo.say', input: { text: 'hi' }, timeoutMs: 60_000, idempotencyKey: 'k1' });
    expect(again).toEqual({ dispatch: first.dispatch, deduplicated: true, checked: expect.any(Promise) });
    // The same key with another input is another request: refused, never answered with the first.
    await expect(world.coordinator.submit({ deviceId: A, capability: 'echo.say', input: { text: 'other' }, timeoutMs: 60_000, idempotencyKey: 'k1' })).rejects.toThrow(
      expect.objectContaining({ code: 'PALYRA_E_IDEMPOTENCY_MISMATCH' }),
    );
    await again.checked;
    expect(node.dispatchedIds).toEqual([first.dispatch.id]);
    expect(node.dispatches[0]?.idempotencyKey).toBe('k1');

    node.succeed(first.dispatch.id, { said: 'hi' });
    const later = await world.coordinator.submit({ deviceId: A, capability: 'echo.say', input: { text: 'hi' }, timeoutMs: 60_000, idempotencyKey: 'k1' });
    await later.checked;
    expect(later.dispatch).toBe(first.dispatch);
    expect((await later.dispatch.done).output).toEqual({ said: 'hi' });
    expect(node.dispatchedIds).toHaveLength(1);
  });

  it('scopes keys by node, and treats an empty key as none', async () => {
    const world = new World(schemas);
    (await world.node(A)).connect();
    (await world.node(B)).connect();
    const onA = await world.submit(A, { text: 'hi' }, { idempotencyKey: 'shared' });
    const onB = await world.submit(B, { text: 'hi' }, { idempotencyKey: 'shared' });
    expect(onB.id).not.toBe(onA.id);
    const x = await world.submit(A, { text: 'hi' }, { idempotencyKey: '' });
    const y = await world.submit(A, { text: 'hi' }, { idempotencyKey: '' });
    expect(x.id).not.toBe(y.id);
  });

  it('forgets the oldest finished dispatches beyond maxRetained, never running ones', async () => {
    const world = new World(schemas, { maxRetained: 2 });
    const node = (await world.node(A)).connect();
    const running = await world.submit(A, { text: 'run' }, { idempotencyKey: 'running' });
    const done1 = await world.submit(A, { text: 'one' }, { idempotencyKey: 'one' });
    node.succeed(done1.id);
    await world.submit(A, { text: 'two' }, { idempotencyKey: 'two' });
    await world.submit(A, { text: 'three' }, { idempotencyKey: 'three' });

    expect(world.coordinator.get(running.id)).toBe(running);
    expect(world.coordinator.get(done1.id)).toBeUndefined();
    expect(await world.submit(A, { text: 'run' }, { idempotencyKey: 'running' })).toBe(running);
    expect(await world.submit(A, { text: 'one' }, { idempotencyKey: 'one' })).not.toBe(done1);
  });
});

describe('DispatchCoordinator: announced capabilities', () => {
  it('validates against the schema each node announced, per node', async () => {
    const world = new World(schemas);
    (await world.node(A)).connect();
    (await world.node(B, [capability('echo.say', 'loose-echo', { type: 'object' })])).connect();
    expect((await (await world.submit(A, { anything: 1 })).done).status).toBe('rejected');
    expect((await world.submit(B, { anything: 1 })).state).toBe('sent');
  });

  it('uses the latest announcement of a node', async () => {
    const world = new World(schemas);
    (await world.node(A, [ECHO])).connect();
    await world.capabilities.set(A, [capability('other.cap', 'other', { type: 'object' })]);
    expect((await (await world.submit(A)).done).error?.code).toBe('PALYRA_E_CAPABILITY_NOT_FOUND');
    expect((await world.submit(A, {}, { capability: 'other.cap' })).state).toBe('sent');
  });
});
