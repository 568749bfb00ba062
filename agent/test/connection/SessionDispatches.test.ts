/**
 * SessionDispatches with a fake executor standing in for the plugin host: what goes back up
 * the Session stream for each dispatch, whatever the capability did.
 */
import type { NodeMessage } from '@palyra/proto';
import { PalyraError } from '@palyra/shared';
import { describe, expect, it } from 'vitest';
import type { CapabilityExecutor } from '../../src/connection/CapabilityExecutor.js';
import { SessionDispatches } from '../../src/connection/SessionDispatches.js';
import type { ExecuteRequest, ExecutionOutcome, ExecutionSink } from '../../src/plugins/types.js';

function dispatch(dispatchId: string, inputJson = '{}') {
  return { dispatchId, capability: 'fake.cap', inputJson, deadlineUnixMs: String(Date.now() + 60_000), idempotencyKey: '' };
}

/** Runs one dispatch through SessionDispatches and resolves with every message it sent once the result is out. */
function runOne(
  execute: (request: ExecuteRequest, sink: ExecutionSink) => Promise<ExecutionOutcome>,
  inputJson = '{}',
): Promise<NodeMessage[]> {
  return new Promise((resolve) => {
    const sent: NodeMessage[] = [];
    const executor: CapabilityExecutor = { capabilities: () => [], execute };
    const dispatches = new SessionDispatches(executor, (message) => {
      sent.push(message);
      if (message.result) resolve(sent);
    });
    dispatches.start(dispatch('d1', inputJson));
  });
}

describe('SessionDispatches', () => {
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

  it('aborts the capability\'s signal on cancel, and every running one when the session ends', async () => {
    const signals: AbortSignal[] = [];
    const executor: CapabilityExecutor = {
      capabilities: () => [],
      execute: (request) =>
        new Promise((resolve) => {
          signals.push(request.signal);
          request.signal.addEventListener('abort', () => resolve({ status: 'cancelled', error: request.signal.reason as PalyraError }));
        }),
    };
    const results: NodeMessage[] = [];
    const dispatches = new SessionDispatches(executor, (message) => {
      if (message.result) results.push(message);
    });
    dispatches.start(dispatch('one'));
    dispatches.start(dispatch('two'));
    dispatches.start(dispatch('two')); // a repeat of a running id is ignored
    await new Promise((resolve) => setImmediate(resolve));
    expect(signals).toHaveLength(2);
    expect(dispatches.size).toBe(2);

    dispatches.cancel('one');
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[1]?.aborted).toBe(false);
    dispatches.abortAll();
    expect(signals[1]?.aborted).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(results.map((m) => [m.result?.dispatchId, m.result?.status, m.result?.error?.code])).toEqual([
      ['one', 'cancelled', 'PALYRA_E_CANCELLED'],
      ['two', 'cancelled', 'PALYRA_E_CANCELLED'],
    ]);
    expect(dispatches.size).toBe(0);
  });
});
