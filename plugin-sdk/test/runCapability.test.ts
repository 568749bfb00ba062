import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PalyraError, definePlugin, defineCapability } from '../src/index.js';
import { runCapability } from '../src/testing/index.js';

interface Grants {
  maxItems?: number;
}

const echo = defineCapability<{ items: string[] }, { count: number; at: string }, Grants>({
  id: 'demo.echo',
  kind: 'read',
  description: 'Echoes its items as chunks.',
  inputSchema: { type: 'object', additionalProperties: false, required: ['items'], properties: { items: { type: 'array', items: { type: 'string' } } } },
  outputSchema: { type: 'object', additionalProperties: false, required: ['count', 'at'], properties: { count: { type: 'integer' }, at: { type: 'string' } } },
  async execute(input, ctx) {
    const max = ctx.grants.maxItems;
    if (max === undefined || input.items.length > max) throw new PalyraError('PALYRA_E_CAPABILITY_DENIED', `at most ${max ?? 0} items`);
    input.items.forEach((item, i) => {
      ctx.write(`${item}\n`);
      ctx.progress({ ratio: (i + 1) / input.items.length * 2, message: item });
    });
    ctx.logger.info('echoed', { plugin: 'someone-else' });
    // A Date is not JSON: the output the caller gets is its JSON round trip, as from a node.
    return { count: input.items.length, at: new Date(0) as unknown as string };
  },
});

const wait = defineCapability<{ honour: boolean }, { done: true }, Grants>({
  id: 'demo.wait',
  kind: 'exec',
  description: 'Waits until its signal fires (or, when told not to honour it, ten seconds).',
  inputSchema: { type: 'object', required: ['honour'], properties: { honour: { type: 'boolean' } } },
  outputSchema: { type: 'object' },
  async execute(input, ctx) {
    await sleep(10_000, undefined, input.honour ? { signal: ctx.signal } : { ref: false });
    return { done: true };
  },
});

const liar = defineCapability<Record<string, never>, { count: number }, Grants>({
  id: 'demo.liar',
  kind: 'read',
  description: 'Returns output its schema refuses.',
  inputSchema: { type: 'object' },
  outputSchema: { type: 'object', required: ['count'], properties: { count: { type: 'integer' } } },
  async execute() {
    return { count: 'many' } as unknown as { count: number };
  },
});

const secretive = defineCapability<{ key: string }, { value: string | null; keys: string[] }, Grants>({
  id: 'demo.secret',
  kind: 'read',
  description: 'Reads a secret and rotates it.',
  inputSchema: { type: 'object', required: ['key'], properties: { key: { type: 'string' } } },
  outputSchema: { type: 'object' },
  async execute(input, ctx) {
    const value = (await ctx.secrets.get(input.key)) ?? null;
    await ctx.secrets.set(input.key, 'rotated');
    return { value, keys: (await ctx.secrets.list()).map((s) => `${s.scope}/${s.key}@${s.version}`) };
  },
});

const lifecycle: string[] = [];
const plugin = definePlugin<Grants>({
  name: 'demo',
  version: '1.0.0',
  apiVersion: 1,
  grantsSchema: { type: 'object', additionalProperties: false, properties: { maxItems: { type: 'integer', minimum: 0 } } },
  capabilities: [echo, wait, liar, secretive],
  setup: (ctx) => void lifecycle.push(`setup ${JSON.stringify(ctx.grants)}`),
  dispose: () => void lifecycle.push('dispose'),
});

describe('runCapability (the plugin test harness)', () => {
  it('runs a capability with grants, streamed chunks, progress, logs and the output the caller would get', async () => {
    lifecycle.length = 0;
    const run = await runCapability(plugin, 'demo.echo', { items: ['a', 'b'] }, { grants: { maxItems: 5 } });
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ count: 2, at: '1970-01-01T00:00:00.000Z' });
    expect(run.text).toBe('a\nb\n');
    expect(run.chunks.map((c) => c.byteLength)).toEqual([2, 2]);
    // ratio clamped to 0..1 by the same execution core as the agent's
    expect(run.progress).toEqual([{ ratio: 1, message: 'a' }, { ratio: 1, message: 'b' }]);
    // stamped fields win: a plugin cannot log as another
    expect(run.logs).toEqual([{ level: 'info', message: 'echoed', fields: { plugin: 'demo', capability: 'demo.echo', dispatchId: 'test-demo.echo' } }]);
    expect(lifecycle).toEqual(['setup {"maxItems":5}', 'dispose']);
  });

  it('rejects input that fails inputSchema before execute runs, as a node does', async () => {
    const run = await runCapability(plugin, 'demo.echo', { items: [1] }, { grants: { maxItems: 5 } });
    expect(run.status).toBe('rejected');
    expect(run.error?.code).toBe('PALYRA_E_INPUT_INVALID');
    expect(run.error?.details).toMatchObject({ plugin: 'demo', capability: 'demo.echo' });
    expect(run.chunks).toEqual([]);
  });

  it('fails output that does not match outputSchema', async () => {
    const run = await runCapability(plugin, 'demo.liar', {});
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('PALYRA_E_OUTPUT_INVALID');
  });

  it('keeps the code of a PalyraError the capability throws, and denies what is not granted', async () => {
    const run = await runCapability(plugin, 'demo.echo', { items: ['a'] });
    expect(run.status).toBe('failed');
    expect(run.error).toBeInstanceOf(PalyraError);
    expect(run.error?.code).toBe('PALYRA_E_CAPABILITY_DENIED');
  });

  it('times out at the deadline, even when the capability ignores its signal', async () => {
    const honoured = await runCapability(plugin, 'demo.wait', { honour: true }, { timeoutMs: 50 });
    expect(honoured.status).toBe('timed_out');
    expect(honoured.error?.code).toBe('PALYRA_E_TIMEOUT');
    const ignored = await runCapability(plugin, 'demo.wait', { honour: false }, { timeoutMs: 50 });
    expect(ignored.status).toBe('timed_out');
  });

  it('cancels when the given signal fires', async () => {
    const controller = new AbortController();
    const pending = runCapability(plugin, 'demo.wait', { honour: true }, { signal: controller.signal });
    controller.abort();
    const run = await pending;
    expect(run.status).toBe('cancelled');
    expect(run.error?.code).toBe('PALYRA_E_CANCELLED');
  });

  it('gives the plugin its own secrets in memory, under the vault rules', async () => {
    const run = await runCapability(plugin, 'demo.secret', { key: 'token' }, { secrets: { token: 's3cret' } });
    expect(run.output).toEqual({ value: 's3cret', keys: ['plugin:demo/token@2'] });
    const bad = await runCapability(plugin, 'demo.secret', { key: '../x' });
    expect(bad.status).toBe('failed');
    expect(bad.error?.code).toBe('PALYRA_E_INVALID_ARGUMENT');
  });

  it('refuses grants the grantsSchema refuses, an unknown capability and an invalid plugin, as an agent would', async () => {
    await expect(runCapability(plugin, 'demo.echo', { items: [] }, { grants: { maxItems: -1 } })).rejects.toMatchObject({ code: 'PALYRA_E_CONFIG_INVALID' });
    await expect(runCapability(plugin, 'demo.nope', {})).rejects.toMatchObject({ code: 'PALYRA_E_CAPABILITY_NOT_FOUND' });
    await expect(runCapability({ ...plugin, apiVersion: 2 }, 'demo.echo', {})).rejects.toMatchObject({ code: 'PALYRA_E_PLUGIN_INVALID' });
  });
});
