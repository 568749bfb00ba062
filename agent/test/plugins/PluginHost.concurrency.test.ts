/**
 * Many dispatches in flight on one PluginHost: no listener piles up on anything shared
 * (Node warns with MaxListenersExceededWarning past 10 on one signal), every listener a
 * dispatch added is gone when it ends, and dispose still cancels every running one.
 */
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecuteRequest } from '../../src/plugins/index.js';
import { RecordingSink, builtin, disposeHosts, loadHost, request } from './helpers.js';

const IN_FLIGHT = 50;

/** A plugin whose `gate.wait` runs until the test opens the gate (or its signal aborts). */
function gatePlugin() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let entered = 0;
  const plugin = {
    name: 'gate',
    version: '1.0.0',
    apiVersion: 1,
    capabilities: [
      {
        id: 'gate.wait',
        kind: 'exec',
        description: 'Waits for the gate.',
        inputSchema: {},
        outputSchema: {},
        execute: (_input: unknown, ctx: { signal: AbortSignal }) => {
          entered += 1;
          return new Promise((resolve, reject) => {
            const onAbort = (): void => reject(ctx.signal.reason);
            ctx.signal.addEventListener('abort', onAbort, { once: true });
            void opened.then(() => {
              ctx.signal.removeEventListener('abort', onAbort);
              resolve({ ok: true });
            });
          });
        },
      },
    ],
  };
  return { plugin, open: () => open(), entered: () => entered };
}

const warnings: Error[] = [];
const onWarning = (warning: Error): void => void warnings.push(warning);
beforeEach(() => {
  warnings.length = 0;
  process.on('warning', onWarning);
});
afterEach(async () => {
  process.off('warning', onWarning);
  await disposeHosts();
});

/** Waits until `count` calls entered the plugin, all of them in flight together. */
async function allEntered(gate: { entered: () => number }, count: number): Promise<void> {
  while (gate.entered() < count) await new Promise((resolve) => setImmediate(resolve));
}

async function leakWarnings(): Promise<string[]> {
  // process.emitWarning reports on a later tick.
  await new Promise((resolve) => setImmediate(resolve));
  return warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message);
}

describe('PluginHost with many dispatches in flight', () => {
  it(`runs ${IN_FLIGHT} at once without a MaxListenersExceededWarning, and leaves no listener on their signals`, async () => {
    const gate = gatePlugin();
    const host = await loadHost({}, { builtins: { gate: builtin(gate.plugin) } });
    const requests: ExecuteRequest[] = Array.from({ length: IN_FLIGHT }, () => request('gate.wait', {}, { deadlineMs: 60_000 }));
    const outcomes = Promise.all(requests.map((r) => host.execute(r, new RecordingSink())));
    await allEntered(gate, IN_FLIGHT);
    // While they run, each request's own signal has the one listener of its execution.
    expect(requests.map((r) => getEventListeners(r.signal, 'abort').length)).toEqual(requests.map(() => 1));
    gate.open();
    expect((await outcomes).map((o) => o.status)).toEqual(requests.map(() => 'succeeded'));
    expect(requests.map((r) => getEventListeners(r.signal, 'abort').length)).toEqual(requests.map(() => 0));
    expect(await leakWarnings()).toEqual([]);
  });

  it(`dispose cancels ${IN_FLIGHT} running dispatches, still without a warning`, async () => {
    const gate = gatePlugin();
    const host = await loadHost({}, { builtins: { gate: builtin(gate.plugin) } });
    const outcomes = Promise.all(Array.from({ length: IN_FLIGHT }, () => host.execute(request('gate.wait', {}, { deadlineMs: 60_000 }), new RecordingSink())));
    await allEntered(gate, IN_FLIGHT);
    await host.dispose();
    const ended = await outcomes;
    expect(ended.map((o) => o.status)).toEqual(ended.map(() => 'cancelled'));
    for (const outcome of ended) {
      if (outcome.status !== 'succeeded') expect(outcome.error.message).toContain('the agent is stopping');
    }
    expect(await leakWarnings()).toEqual([]);
  });
});
