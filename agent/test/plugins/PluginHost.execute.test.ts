import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PalyraError } from '@palyra/shared';
import { PluginHost, type ExecutionOutcome } from '../../src/plugins/index.js';
import { CapturingLogger, FIXTURES, RecordingSink, builtin, disposeHosts, loadHost, request } from './helpers.js';

/** One host with most fixtures, shared by the tests of this file. */
let host: PluginHost;
let logger: CapturingLogger;

beforeAll(async () => {
  logger = new CapturingLogger();
  host = await PluginHost.load({
    config: { plugins: [{ use: './valid.js' }, { use: './throwing.js' }, { use: './hanging.js' }, { use: './bad-output.js' }] },
    baseDir: FIXTURES,
    signal: new AbortController().signal,
    logger,
    builtins: {},
  });
});

afterAll(() => host.dispose());

// Hosts a single test loaded with loadHost().
afterEach(disposeHosts);

function errorOf(outcome: ExecutionOutcome): PalyraError {
  if (outcome.status === 'succeeded') throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  expect(outcome.error).toBeInstanceOf(PalyraError);
  return outcome.error;
}

describe('PluginHost.execute: success and streaming', () => {
  it('streams chunks and progress through the sink before execute resolves', async () => {
    const sink = new RecordingSink();
    let resolved = false;
    const writesBeforeResolve: boolean[] = [];
    let firstWrite!: () => void;
    const wroteOnce = new Promise<void>((resolve) => (firstWrite = resolve));
    sink.onWrite = () => {
      writesBeforeResolve.push(!resolved);
      firstWrite();
    };
    const pending = host.execute(request('valid.echo', { text: 'hi' }), sink).then((outcome) => {
      resolved = true;
      return outcome;
    });
    // The first chunk arrives while the capability still runs (it sleeps 20 ms before the second).
    await wroteOnce;
    expect(sink.text()).toBe('hi:1 ');
    expect(sink.updates).toEqual([{ ratio: 0.5, message: 'half way' }]);
    expect(resolved).toBe(false);
    expect(await pending).toEqual({ status: 'succeeded', output: { echo: 'hi' } });
    expect(writesBeforeResolve).toEqual([true, true]);
    expect(sink.text()).toBe('hi:1 hi:2');
    expect(sink.chunks.every((c) => c instanceof Uint8Array)).toBe(true);
    expect(sink.updates).toEqual([{ ratio: 0.5, message: 'half way' }, { ratio: 1 }]);
  });

  it('encodes strings as UTF-8', async () => {
    const sink = new RecordingSink();
    await host.execute(request('valid.echo', { text: 'héllo ✓' }), sink);
    expect(sink.text()).toBe('héllo ✓:1 héllo ✓:2');
  });

  it('passes the dispatch id and deadline in ctx', async () => {
    const req = request('valid.grants');
    const outcome = await host.execute(req, new RecordingSink());
    expect(outcome).toMatchObject({ status: 'succeeded', output: { dispatchId: req.dispatchId, deadline: req.deadline.toISOString() } });
  });

  it('ignores what a plugin writes after its dispatch ended', async () => {
    const sink = new RecordingSink();
    const outcome = await host.execute(request('valid.write-late'), sink);
    expect(outcome.status).toBe('succeeded');
    // The plugin writes now, after its dispatch ended: nothing reaches the sink, and it is logged.
    const writeLate = (globalThis as { __palyraWriteLate?: () => void }).__palyraWriteLate;
    expect(writeLate).toBeTypeOf('function');
    writeLate!();
    expect(sink.chunks).toEqual([]);
    expect(sink.updates).toEqual([]);
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'ignored output written after the dispatch ended' }));
  });

  it('runs dispatches concurrently', async () => {
    const outcomes = await Promise.all(['a', 'b', 'c'].map((text) => host.execute(request('valid.echo', { text }), new RecordingSink())));
    expect(outcomes.map((o) => o.status === 'succeeded' && o.output)).toEqual([{ echo: 'a' }, { echo: 'b' }, { echo: 'c' }]);
  });

  it('gives each plugin a logger stamped with its name, capability and dispatch id', async () => {
    const req = request('valid.log');
    await host.execute(req, new RecordingSink());
    expect(logger.lines).toContainEqual({
      level: 'info',
      message: 'hello from a capability',
      fields: { extra: 1, plugin: 'fixture-valid', capability: 'valid.log', dispatchId: req.dispatchId },
    });
  });

  it('survives a sink that throws', async () => {
    const sink = new RecordingSink();
    sink.onWrite = () => {
      throw new Error('stream closed');
    };
    const outcome = await host.execute(request('valid.echo', { text: 'x' }), sink);
    expect(outcome.status).toBe('succeeded');
  });
});

describe('PluginHost.execute: rejected before running', () => {
  it('rejects an unknown capability with PALYRA_E_CAPABILITY_NOT_FOUND', async () => {
    const outcome = await host.execute(request('nope.nothing'), new RecordingSink());
    expect(outcome.status).toBe('rejected');
    expect(errorOf(outcome).code).toBe('PALYRA_E_CAPABILITY_NOT_FOUND');
    expect(errorOf(outcome).message).toContain('"nope.nothing"');
  });

  it('rejects input that fails the inputSchema with PALYRA_E_INPUT_INVALID listing the problems', async () => {
    const sink = new RecordingSink();
    const outcome = await host.execute(request('valid.echo', { text: '', extra: true }), sink);
    expect(outcome.status).toBe('rejected');
    const error = errorOf(outcome);
    expect(error.code).toBe('PALYRA_E_INPUT_INVALID');
    expect(error.message).toContain('/text must NOT have fewer than 1 characters');
    expect(error.details).toMatchObject({ plugin: 'fixture-valid', capability: 'valid.echo' });
    expect(error.details?.problems).toEqual(expect.arrayContaining(['(root) must NOT have additional properties']));
    expect(sink.chunks).toEqual([]);
  });

  it('reports cancelled without running when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const sink = new RecordingSink();
    const outcome = await host.execute(request('valid.echo', { text: 'x' }, { signal: controller.signal }), sink);
    expect(outcome.status).toBe('cancelled');
    expect(errorOf(outcome).code).toBe('PALYRA_E_CANCELLED');
    expect(sink.chunks).toEqual([]);
  });

  it('reports timed_out without running when the deadline already passed', async () => {
    const sink = new RecordingSink();
    const outcome = await host.execute(request('valid.echo', { text: 'x' }, { deadlineMs: -1 }), sink);
    expect(outcome.status).toBe('timed_out');
    expect(errorOf(outcome).code).toBe('PALYRA_E_TIMEOUT');
    expect(sink.chunks).toEqual([]);
  });

  it('rejects a request whose deadline is not a valid date', async () => {
    const outcome = await host.execute({ ...request('valid.echo', { text: 'x' }), deadline: new Date(Number.NaN) }, new RecordingSink());
    expect(outcome.status).toBe('rejected');
    expect(errorOf(outcome).code).toBe('PALYRA_E_INVALID_ARGUMENT');
  });
});

describe('PluginHost.execute: plugin failures', () => {
  it.each([
    ['rejects with an Error', 'throwing.error', 'boom'],
    ['throws synchronously', 'throwing.sync', 'sync boom'],
    ['rejects with a string', 'throwing.string', 'a bare string'],
  ])('reports failed with PALYRA_E_PLUGIN_FAILED when a capability %s, stamping plugin and capability', async (_what, capability, message) => {
    const outcome = await host.execute(request(capability), new RecordingSink());
    expect(outcome.status).toBe('failed');
    const error = errorOf(outcome);
    expect(error.code).toBe('PALYRA_E_PLUGIN_FAILED');
    expect(error.message).toBe(`capability ${capability} of plugin "fixture-throwing" failed: ${message}`);
    expect(error.details).toEqual({ plugin: 'fixture-throwing', capability });
    expect(error.cause instanceof Error ? error.cause.message : error.cause).toBe(message);
  });

  it('keeps the code and details of a PalyraError the plugin throws, adding plugin and capability', async () => {
    const outcome = await host.execute(request('valid.denied'), new RecordingSink());
    expect(outcome.status).toBe('failed');
    const error = errorOf(outcome);
    expect(error.code).toBe('PALYRA_E_CAPABILITY_DENIED');
    expect(error.message).toBe('path /etc is outside the granted roots');
    expect(error.details).toEqual({ path: '/etc', plugin: 'fixture-valid', capability: 'valid.denied' });
    expect(error.cause).toBeInstanceOf(PalyraError);
    expect(JSON.parse(JSON.stringify(error))).toEqual({ code: 'PALYRA_E_CAPABILITY_DENIED', message: error.message, details: error.details });
  });

  it('fails a capability that writes something other than a string or bytes', async () => {
    const outcome = await host.execute(request('valid.bad-write'), new RecordingSink());
    expect(outcome.status).toBe('failed');
    expect(errorOf(outcome).code).toBe('PALYRA_E_INVALID_ARGUMENT');
    expect(errorOf(outcome).message).toContain('ctx.write takes a string or a Uint8Array');
  });

  it('reports failed with PALYRA_E_OUTPUT_INVALID when the output fails the outputSchema', async () => {
    const outcome = await host.execute(request('bad.output'), new RecordingSink());
    expect(outcome.status).toBe('failed');
    const error = errorOf(outcome);
    expect(error.code).toBe('PALYRA_E_OUTPUT_INVALID');
    expect(error.message).toContain('capability bad.output of plugin "fixture-bad-output"');
    expect(error.message).toContain('/count must be integer');
    expect(error.details).toMatchObject({ plugin: 'fixture-bad-output', capability: 'bad.output' });
  });

  it.each([
    ['undefined', 'bad.nothing', /returned no output/],
    ['a BigInt', 'bad.bigint', /not JSON/],
  ])('reports PALYRA_E_OUTPUT_INVALID when the output is %s', async (_what, capability, message) => {
    const outcome = await host.execute(request(capability), new RecordingSink());
    expect(outcome.status).toBe('failed');
    expect(errorOf(outcome).code).toBe('PALYRA_E_OUTPUT_INVALID');
    expect(errorOf(outcome).message).toMatch(message);
  });
});

describe('PluginHost.execute: deadline and cancel', () => {
  it('reports timed_out at the deadline even when the plugin ignores its signal and hangs', async () => {
    const sink = new RecordingSink();
    const started = Date.now();
    const outcome = await host.execute(request('hanging.forever', {}, { deadlineMs: 100 }), sink);
    const took = Date.now() - started;
    expect(outcome.status).toBe('timed_out');
    const error = errorOf(outcome);
    expect(error.code).toBe('PALYRA_E_TIMEOUT');
    expect(error.details).toMatchObject({ plugin: 'fixture-hanging', capability: 'hanging.forever' });
    // Not before the deadline (how long after it depends on the machine's load).
    expect(took).toBeGreaterThanOrEqual(90);
    expect(sink.text()).toBe('started');
  });

  it('aborts the plugin signal with a PALYRA_E_TIMEOUT reason at the deadline', async () => {
    delete (globalThis as { __palyraPoliteAbortReason?: unknown }).__palyraPoliteAbortReason;
    const outcome = await host.execute(request('hanging.polite', {}, { deadlineMs: 50 }), new RecordingSink());
    expect(outcome.status).toBe('timed_out');
    const reason = (globalThis as { __palyraPoliteAbortReason?: unknown }).__palyraPoliteAbortReason;
    expect(reason).toBeInstanceOf(PalyraError);
    expect((reason as PalyraError).code).toBe('PALYRA_E_TIMEOUT');
  });

  it('reports cancelled when the caller aborts, even when the plugin ignores its signal', async () => {
    const controller = new AbortController();
    const sink = new RecordingSink();
    const pending = host.execute(request('hanging.forever', {}, { signal: controller.signal }), sink);
    await sink.firstWrite;
    controller.abort('operator cancelled');
    const outcome = await pending;
    expect(outcome.status).toBe('cancelled');
    const error = errorOf(outcome);
    expect(error.code).toBe('PALYRA_E_CANCELLED');
    expect(error.message).toContain('operator cancelled');
    expect(error.details).toMatchObject({ plugin: 'fixture-hanging', capability: 'hanging.forever' });
  });

  it('reports cancelled (not failed) when a polite plugin rejects with the abort reason', async () => {
    const controller = new AbortController();
    delete (globalThis as { __palyraPoliteAbortReason?: unknown }).__palyraPoliteAbortReason;
    const sink = new RecordingSink();
    const pending = host.execute(request('hanging.polite', {}, { signal: controller.signal }), sink);
    // Aborted while the plugin waits, so the rejection it records is its own.
    await sink.firstWrite;
    controller.abort();
    const outcome = await pending;
    expect(outcome.status).toBe('cancelled');
    const reason = (globalThis as { __palyraPoliteAbortReason?: unknown }).__palyraPoliteAbortReason;
    expect((reason as PalyraError).code).toBe('PALYRA_E_CANCELLED');
  });

  it('drops output a plugin writes after it timed out', async () => {
    let writeLate: (() => void) | undefined;
    const slow = {
      name: 'slow',
      version: '1.0.0',
      apiVersion: 1,
      capabilities: [
        {
          id: 'slow.run',
          kind: 'exec',
          description: 'Ignores its signal; writes and returns when the test says so.',
          inputSchema: {},
          outputSchema: {},
          execute: (_input: unknown, ctx: { write(chunk: string): void }) =>
            new Promise((resolve) => {
              writeLate = () => {
                ctx.write('too late');
                resolve({ done: true });
              };
            }),
        },
      ],
    };
    const own = await loadHost({}, { builtins: { slow: builtin(slow) } });
    const sink = new RecordingSink();
    const outcome = await own.execute(request('slow.run', {}, { deadlineMs: 20 }), sink);
    expect(outcome.status).toBe('timed_out');
    expect(writeLate).toBeTypeOf('function');
    writeLate!();
    expect(sink.chunks).toEqual([]);
  });
});

describe('PluginHost.execute after dispose', () => {
  it('cancels running dispatches and rejects new ones', async () => {
    const own = await loadHost({ plugins: [{ use: './hanging.js' }] });
    const sink = new RecordingSink();
    const pending = own.execute(request('hanging.forever'), sink);
    await sink.firstWrite;
    await own.dispose();
    const outcome = await pending;
    expect(outcome.status).toBe('cancelled');
    expect(errorOf(outcome).message).toContain('the agent is stopping');
    const later = await own.execute(request('hanging.forever'), new RecordingSink());
    expect(later.status).toBe('rejected');
    expect(errorOf(later).code).toBe('PALYRA_E_NODE_UNAVAILABLE');
  });
});
