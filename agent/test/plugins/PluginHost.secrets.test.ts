import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretStore, Vault, definePlugin, type PluginDefinition } from '@palyra/shared';
import { PluginHost, type BuiltinPlugin } from '../../src/plugins/index.js';
import { CapturingLogger, RecordingSink, request } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A plugin whose one capability runs a ctx.secrets operation named in its input. */
function secretsPlugin(name: string): PluginDefinition {
  return definePlugin({
    name,
    version: '1.0.0',
    apiVersion: 1,
    capabilities: [
      {
        id: `${name}.secret`,
        kind: 'read',
        description: 'uses ctx.secrets',
        inputSchema: { type: 'object', properties: { op: { type: 'string' }, key: { type: 'string' }, value: { type: 'string' } }, required: ['op'] },
        outputSchema: {},
        async execute(input: { op: string; key?: string; value?: string }, ctx) {
          if (input.op === 'set') return (await ctx.secrets.set(input.key ?? '', input.value ?? '')).version;
          if (input.op === 'get') return (await ctx.secrets.get(input.key ?? '')) ?? null;
          if (input.op === 'list') return (await ctx.secrets.list()).map((s) => `${s.scope}/${s.key}`);
          return ctx.secrets.delete(input.key ?? '');
        },
      },
    ],
  }) as PluginDefinition;
}

const builtin = (plugin: PluginDefinition): BuiltinPlugin => ({ source: `test:${plugin.name}`, load: async () => plugin });

async function host(secrets?: SecretStore): Promise<PluginHost> {
  const loaded = await PluginHost.load({
    config: {},
    baseDir: tmpdir(),
    signal: new AbortController().signal,
    logger: new CapturingLogger(),
    builtins: { alpha: builtin(secretsPlugin('alpha')), beta: builtin(secretsPlugin('beta')) },
    ...(secrets === undefined ? {} : { secrets }),
  });
  cleanups.push(() => loaded.dispose());
  return loaded;
}

async function run(h: PluginHost, capability: string, input: unknown): Promise<unknown> {
  const outcome = await h.execute(request(capability, input), new RecordingSink());
  if (outcome.status !== 'succeeded') throw outcome.error;
  return outcome.output;
}

async function secretStore(): Promise<SecretStore> {
  const dir = await mkdtemp(join(tmpdir(), 'palyra-secrets-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const vault = await (
    await Vault.prepare({ file: join(dir, 'vault.v1.enc'), defaultKeyFile: join(dir, 'vault.key'), name: 'palyra-node', choice: 'file', env: {}, passphrase: async () => undefined })
  ).create('01HXDEVICE');
  return new SecretStore(vault);
}

describe('ctx.secrets', () => {
  it('gives each plugin its own scope: a plugin cannot read another plugin’s secrets', async () => {
    const secrets = await secretStore();
    const h = await host(secrets);
    expect(await run(h, 'alpha.secret', { op: 'set', key: 'token', value: 'alpha-only' })).toBe(1);
    expect(await run(h, 'alpha.secret', { op: 'get', key: 'token' })).toBe('alpha-only');
    expect(await run(h, 'beta.secret', { op: 'get', key: 'token' })).toBeNull();
    expect(await run(h, 'beta.secret', { op: 'list' })).toEqual([]);
    expect(await run(h, 'beta.secret', { op: 'delete', key: 'token' })).toBe(false);
    // A key shaped like another scope is refused, not resolved.
    const outcome = await h.execute(request('beta.secret', { op: 'get', key: 'plugin:alpha/token' }), new RecordingSink());
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'PALYRA_E_INVALID_ARGUMENT' } });
    // What the node operator sees: the secret under alpha's scope.
    expect((await secrets.list()).map((s) => `${s.scope}/${s.key}`)).toEqual(['plugin:alpha/token']);
    expect((await secrets.get('plugin:alpha', 'token'))?.value).toBe('alpha-only');
  });

  it('reads secrets the operator stored with palyra-node secrets set', async () => {
    const secrets = await secretStore();
    await secrets.set('plugin:beta', 'api-key', 'from-the-cli');
    const h = await host(secrets);
    expect(await run(h, 'beta.secret', { op: 'get', key: 'api-key' })).toBe('from-the-cli');
    expect(await run(h, 'beta.secret', { op: 'list' })).toEqual(['plugin:beta/api-key']);
  });

  it('fails clearly when the host has no vault', async () => {
    const h = await host();
    const outcome = await h.execute(request('alpha.secret', { op: 'get', key: 'x' }), new RecordingSink());
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'PALYRA_E_VAULT_UNAVAILABLE', details: { plugin: 'alpha' } } });
  });
});
