/**
 * RunningDispatches with a fake executor standing in for the plugin host: what goes back up
 * the Session stream for each dispatch, whatever the capability did, and what survives the
 * session's end. (test/integration/dispatchOutbox.test.ts runs it against a real gRPC daemon.)
 */
import type { NodeMessage } from '@palyra/proto';
import { PalyraError } from '@palyra/shared';
import { describe, expect, it } from 'vitest';
import type { CapabilityExecutor } from '../../src/connection/CapabilityExecutor.js';
import { ResultOutbox } from '../../src/connection/ResultOutbox.js';
import { RunningDispatches } from '../../src/connection/RunningDispatches.js';
import { stderrLogger } from '../../src/plugins/stderrLogger.js';
import type { ExecuteRequest, ExecutionOutcome, ExecutionSink } from '../../src/plugins/types.js';

function dispatch(dispatchId: string, inputJson = '{}') {
  return { dispatchId, capability: 'fake.cap', inputJson, deadlineUnixMs: String(Date.now() + 60_000), idempotencyKey: '' };
}

/** RunningDispatches with an in-memory outbox, attached to `send` as a welcomed session would be. */
function attached(executor: CapabilityExecutor, send: (message: NodeMessage) => void): { dispatches: RunningDispatches; outbox: ResultOutbox } {
  const outbox = ResultOutbox.inMemory(stderrLogger);
  const dispatches = new RunningDispatches(executor, outbox);
  dispatches.attach(send);
  outbox.attach(send);
  return { dispatches, outbox };
}

/** Runs one dispatch through RunningDispatches and resolves with every message it sent once the result is out. */
function runOne(
  execute: (request: ExecuteRequest, sink: ExecutionSink) => Promise<ExecutionOutcome>,
  inputJson = '{}',
): Promise<NodeMessage[]> {
  return new Promise((resolve) => {
    const sent: NodeMessage[] = [];
    const executor: CapabilityExecutor = { capabilities: () => [], execute };
    const { dispatches } = attached(executor, (message) => {
      sent.push(message);
      if (message.result) resolve(sent);
    });
    dispatches.start(dispatch('d1', inputJson));
  });
}

describe('RunningDispatches', () => {
  it('reports started once a capability runs past the current turn, then the streamed chunks and the result, in order', async () => {
    const sent = await runOne(async (_request, sink) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      sink.write(new TextEncoder().encode('chunk'));
      sink.progress({ ratio: 0.5, message: 'half' });
      return { status: 'succeeded', output: { ok: true } };
    });
    expect(sent.map((m) => Object.keys(m)[0])).toEqual(['started', 'output', 'output', 'result']);
    expect(Buffer.from(sent[1]?.output?.chunk as Uint8Array).toString()).toBe('chunk');
    expect(sent[2]?.output).toMatchObject({ progressRatio: 0.5, progressMessage: 'half' });
    expect(sent[3]?.result).toEqual({ dispatchId: 'd1', status: 'succeeded', outputJson: '{"ok":true}', error: null });
  });

  it('sends no started for a capability done within the turn: its result says it all', async () => {
    const sent = await runOne(async () => ({ status: 'succeeded', output: { ok: true } }));
    expect(sent.map((m) => Object.keys(m)[0])).toEqual(['result']);
  });

  it('splits large chunks below the gRPC message limit', async () => {
    const big = new Uint8Array(600 * 1024).fill(7);
    const sent = await runOne(async (_request, sink) => {
      sink.write(big);
      return { status: 'succeeded', output: null };
    });
    const chunks = sent.flatMap((m) => (m.output?.chunk ? [m.output.chunk as Uint8Array] : []));
    expect(chunks.map((c) => c.length)).toEqual([256 * 1024, 256 * 1024, 88 * 1024]);
  });

  it('rejects input that is not JSON without starting the capability', async () => {
    let called = false;
    const sent = await runOne(async () => {
      called = true;
      return { status: 'succeeded', output: null };
    }, '{not json');
    expect(called).toBe(false);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.result).toMatchObject({ dispatchId: 'd1', status: 'rejected', error: { code: 'PALYRA_E_INPUT_INVALID' } });
  });

  it('carries the error details, and still reports when a plugin put details in that are not JSON', { timeout: 5_000 }, async () => {
    const plain = await runOne(async () => ({
      status: 'failed',
      error: new PalyraError('PALYRA_E_FS_IO', 'busy', { details: { plugin: 'p', capability: 'fake.cap', errno: 'EBUSY' } }),
    }));
    expect(JSON.parse(plain.at(-1)?.result?.error?.detailsJson ?? '')).toEqual({ plugin: 'p', capability: 'fake.cap', errno: 'EBUSY' });

    // A cycle and a BigInt: JSON.stringify throws. The agent must not crash on it (an
    // unhandled rejection), and the caller still learns which plugin failed.
    const cyclic: Record<string, unknown> = { plugin: 'p', capability: 'fake.cap', big: 1n };
    cyclic.self = cyclic;
    const sent = await runOne(async () => ({ status: 'failed', error: new PalyraError('PALYRA_E_FS_IO', 'busy', { details: cyclic }) }));
    const error = sent.at(-1)?.result?.error;
    expect(error).toMatchObject({ code: 'PALYRA_E_FS_IO', message: 'busy' });
    expect(JSON.parse(error?.detailsJson ?? '')).toEqual({ plugin: 'p', capability: 'fake.cap' });
  });

  it('aborts the capability\'s signal on cancel; a session\'s end aborts nothing, and the result waits for the next session', async () => {
    const signals: AbortSignal[] = [];
    let finishTwo = (): void => {};
    const executor: CapabilityExecutor = {
      capabilities: () => [],
      execute: (request) =>
        new Promise((resolve) => {
          signals.push(request.signal);
          request.signal.addEventListener('abort', () => resolve({ status: 'cancelled', error: request.signal.reason as PalyraError }));
          if (request.dispatchId === 'two') finishTwo = () => resolve({ status: 'succeeded', output: { two: true } });
        }),
    };
    const first: NodeMessage[] = [];
    const { dispatches, outbox } = attached(executor, (message) => {
      if (message.result) first.push(message);
    });
    dispatches.start(dispatch('one'));
    dispatches.start(dispatch('two'));
    dispatches.start(dispatch('two')); // a repeat of a running id is ignored
    await new Promise((resolve) => setImmediate(resolve));
    expect(signals).toHaveLength(2);
    expect(dispatches.ids).toEqual(['one', 'two']);

    dispatches.cancel('one');
    expect(signals[0]?.aborted).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(first.map((m) => [m.result?.dispatchId, m.result?.status, m.result?.error?.code])).toEqual([['one', 'cancelled', 'PALYRA_E_CANCELLED']]);

    // The session ends: 'two' runs on, and its result is held (never acknowledged: 'one' too).
    dispatches.detach();
    outbox.detach();
    expect(signals[1]?.aborted).toBe(false);
    finishTwo();
    await new Promise((resolve) => setImmediate(resolve));
    expect(first).toHaveLength(1);
    expect(dispatches.size).toBe(0);
    expect(outbox.ids).toEqual(['one', 'two']);
    dispatches.start(dispatch('two')); // a resend of a held result runs nothing
    expect(dispatches.size).toBe(0);

    // The next session gets both; an ack drops one.
    const second: NodeMessage[] = [];
    dispatches.attach((message) => second.push(message));
    outbox.attach((message) => second.push(message));
    expect(second.map((m) => [m.result?.dispatchId, m.result?.status])).toEqual([
      ['one', 'cancelled'],
      ['two', 'succeeded'],
    ]);
    outbox.ack('one');
    expect(outbox.ids).toEqual(['two']);
  });

  it('stop() aborts what runs and resolves once every result is held', async () => {
    const executor: CapabilityExecutor = {
      capabilities: () => [],
      execute: (request) =>
        new Promise((resolve) => request.signal.addEventListener('abort', () => resolve({ status: 'cancelled', error: request.signal.reason as PalyraError }))),
    };
    const outbox = ResultOutbox.inMemory(stderrLogger);
    const dispatches = new RunningDispatches(executor, outbox);
    dispatches.start(dispatch('a'));
    await dispatches.stop();
    expect(outbox.ids).toEqual(['a']);
    expect(dispatches.size).toBe(0);
  });
});

describe('RunningDispatches and the outbox across a renewal handover', () => {
  it('a session that ends after its successor attached detaches nothing: results go up the new session', async () => {
    const executor: CapabilityExecutor = { capabilities: () => [], execute: async () => ({ status: 'succeeded', output: { ok: true } }) };
    const old: NodeMessage[] = [];
    const sendOld = (message: NodeMessage): void => {
      old.push(message);
    };
    const { dispatches, outbox } = attached(executor, sendOld);
    const result = new Promise<NodeMessage>((resolve) => {
      const sendNew = (message: NodeMessage): void => {
        if (message.result) resolve(message);
      };
      dispatches.attach(sendNew);
      outbox.attach(sendNew);
    });
    // The old session's end arrives after the new one was welcomed (make-before-break).
    dispatches.detach(sendOld);
    outbox.detach(sendOld);
    dispatches.start(dispatch('d-handover'));
    expect((await result).result).toMatchObject({ dispatchId: 'd-handover', status: 'succeeded' });
    expect(old).toEqual([]);
  });
});
