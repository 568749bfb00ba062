import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCapability } from '@palyra/plugin-sdk/testing';
import hello from './index.js';
import { loadAgentConfig } from '../../agent/src/config/index.js';
import { PluginHost } from '../../agent/src/plugins/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const GRANTS = { maxSleepMs: 10_000 };

// What a plugin's own tests look like: @palyra/plugin-sdk/testing runs a capability with the
// agent's checks and execution core (schemas, grants, signal, deadline), no daemon needed.
describe('examples/hello-plugin capabilities', () => {
  it('hello.greet streams the greeting in chunks and returns it', async () => {
    const run = await runCapability(hello, 'hello.greet', { name: 'Ada' }, { grants: GRANTS });
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ greeting: 'Hello, Ada!' });
    expect(run.text).toBe('Hello, Ada!\n');
    expect(run.chunks).toHaveLength(2);
    expect(run.progress).toEqual([{ ratio: 0.5, message: 'greeting half done' }, { ratio: 1 }]);
  });

  it('hello.greet rejects input that fails its schema', async () => {
    const run = await runCapability(hello, 'hello.greet', { name: '' }, { grants: GRANTS });
    expect(run.status).toBe('rejected');
    expect(run.error?.code).toBe('PALYRA_E_INPUT_INVALID');
  });

  it('hello.sleep sleeps, reporting progress', async () => {
    const run = await runCapability<{ sleptMs: number }>(hello, 'hello.sleep', { ms: 40 }, { grants: GRANTS });
    expect(run.status).toBe('succeeded');
    expect(run.output?.sleptMs).toBeGreaterThanOrEqual(30);
    expect(run.progress.map((u) => u.ratio)).toEqual([0.25, 0.5, 0.75, 1]);
  });

  it('hello.sleep stops when cancelled', async () => {
    const controller = new AbortController();
    const pending = runCapability(hello, 'hello.sleep', { ms: 5_000 }, { grants: GRANTS, signal: controller.signal });
    controller.abort();
    const run = await pending;
    expect(run.status).toBe('cancelled');
    expect(run.error?.code).toBe('PALYRA_E_CANCELLED');
  });

  it('hello.sleep times out at the dispatch deadline', async () => {
    const run = await runCapability(hello, 'hello.sleep', { ms: 5_000 }, { grants: GRANTS, timeoutMs: 50 });
    expect(run.status).toBe('timed_out');
    expect(run.error?.details).toMatchObject({ plugin: 'hello', capability: 'hello.sleep' });
  });

  it('hello.sleep refuses more than the granted maxSleepMs, and everything without a grant', async () => {
    const tooLong = await runCapability(hello, 'hello.sleep', { ms: 60_000 }, { grants: GRANTS });
    expect(tooLong.status).toBe('failed');
    expect(tooLong.error?.code).toBe('PALYRA_E_CAPABILITY_DENIED');
    const ungranted = await runCapability(hello, 'hello.sleep', { ms: 1 });
    expect(ungranted.error?.message).toContain('set grants.maxSleepMs');
  });
});

// The repository also checks that the README's config loads in a real agent.
describe('examples/hello-plugin in an agent', () => {
  const hosts: PluginHost[] = [];
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((host) => host.dispose()));
  });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };

  it('loads through its example config and announces both capabilities', async () => {
    const { config, baseDir } = await loadAgentConfig({ explicitPath: join(HERE, 'palyra-node.config.json') });
    expect(baseDir).toBe(HERE);
    // The example config turns the built-ins off, so the real ones are never imported here.
    const host = await PluginHost.load({ config, baseDir, signal: new AbortController().signal, logger: quiet });
    hosts.push(host);
    expect(host.plugins()).toEqual([{ name: 'hello', version: '0.1.0', source: join(HERE, 'index.js'), capabilities: ['hello.greet', 'hello.sleep'] }]);
    expect(host.capabilities().map((c) => [c.id, c.kind, c.plugin])).toEqual([
      ['hello.greet', 'read', 'hello'],
      ['hello.sleep', 'exec', 'hello'],
    ]);
  });

  it('loads with a path relative to another base directory (the repo root)', async () => {
    const host = await PluginHost.load({
      config: { plugins: [{ use: './examples/hello-plugin', grants: { maxSleepMs: 100 } }] },
      baseDir: REPO,
      signal: new AbortController().signal,
      logger: quiet,
      builtins: {},
    });
    hosts.push(host);
    expect(host.plugins().map((p) => p.name)).toEqual(['hello']);
  });
});
