import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProgressUpdate } from '@palyra/shared';
import { loadAgentConfig } from '../../agent/src/config/index.js';
import { PluginHost, type ExecuteRequest, type ExecutionSink } from '../../agent/src/plugins/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');

const hosts: PluginHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.dispose()));
});

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function load(...args: Parameters<typeof PluginHost.load>): Promise<PluginHost> {
  const host = await PluginHost.load(...args);
  hosts.push(host);
  return host;
}

class Sink implements ExecutionSink {
  readonly chunks: string[] = [];
  readonly updates: ProgressUpdate[] = [];
  write(chunk: Uint8Array): void {
    this.chunks.push(new TextDecoder().decode(chunk));
  }
  progress(update: ProgressUpdate): void {
    this.updates.push(update);
  }
}

function dispatch(capability: string, input: unknown, { deadlineMs = 5_000, signal = new AbortController().signal } = {}): ExecuteRequest {
  return { dispatchId: `hello-${capability}`, capability, input, deadline: new Date(Date.now() + deadlineMs), signal };
}

/** Loads the plugin the way a node does: from the example config file, relative path and all. */
async function loadFromExampleConfig(): Promise<PluginHost> {
  const { config, baseDir } = await loadAgentConfig({ explicitPath: join(HERE, 'palyra-node.config.json') });
  expect(baseDir).toBe(HERE);
  // The example config turns the built-ins off, so the real ones are never imported here.
  return load({ config, baseDir, signal: new AbortController().signal, logger: quiet });
}

describe('examples/hello-plugin', () => {
  it('loads through its example config and announces both capabilities', async () => {
    const host = await loadFromExampleConfig();
    expect(host.plugins()).toEqual([{ name: 'hello', version: '0.1.0', source: join(HERE, 'index.js'), capabilities: ['hello.greet', 'hello.sleep'] }]);
    expect(host.capabilities().map((c) => [c.id, c.kind, c.plugin])).toEqual([
      ['hello.greet', 'read', 'hello'],
      ['hello.sleep', 'exec', 'hello'],
    ]);
  });

  it('loads with a path relative to another base directory (the repo root)', async () => {
    const host = await load({
      config: { plugins: [{ use: './examples/hello-plugin', grants: { maxSleepMs: 100 } }] },
      baseDir: REPO,
      signal: new AbortController().signal,
      logger: quiet,
      builtins: {},
    });
    expect(host.plugins().map((p) => p.name)).toEqual(['hello']);
  });

  it('hello.greet streams the greeting in chunks and returns it', async () => {
    const host = await loadFromExampleConfig();
    const sink = new Sink();
    const outcome = await host.execute(dispatch('hello.greet', { name: 'Ada' }), sink);
    expect(outcome).toEqual({ status: 'succeeded', output: { greeting: 'Hello, Ada!' } });
    expect(sink.chunks).toEqual(['Hello, ', 'Ada!\n']);
    expect(sink.updates).toEqual([{ ratio: 0.5, message: 'greeting half done' }, { ratio: 1 }]);
  });

  it('hello.greet rejects input that fails its schema', async () => {
    const host = await loadFromExampleConfig();
    const outcome = await host.execute(dispatch('hello.greet', { name: '' }), new Sink());
    expect(outcome.status).toBe('rejected');
    expect(outcome.status !== 'succeeded' && outcome.error.code).toBe('PALYRA_E_INPUT_INVALID');
  });

  it('hello.sleep sleeps, reporting progress', async () => {
    const host = await loadFromExampleConfig();
    const sink = new Sink();
    const outcome = await host.execute(dispatch('hello.sleep', { ms: 40 }), sink);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.status === 'succeeded' && (outcome.output as { sleptMs: number }).sleptMs).toBeGreaterThanOrEqual(30);
    expect(sink.updates.map((u) => u.ratio)).toEqual([0.25, 0.5, 0.75, 1]);
  });

  it('hello.sleep stops at once when cancelled', async () => {
    const host = await loadFromExampleConfig();
    const controller = new AbortController();
    const started = Date.now();
    const pending = host.execute(dispatch('hello.sleep', { ms: 5_000 }, { signal: controller.signal }), new Sink());
    setTimeout(() => controller.abort(), 30);
    const outcome = await pending;
    expect(outcome.status).toBe('cancelled');
    expect(outcome.status !== 'succeeded' && outcome.error.code).toBe('PALYRA_E_CANCELLED');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('hello.sleep times out at the dispatch deadline', async () => {
    const host = await loadFromExampleConfig();
    const outcome = await host.execute(dispatch('hello.sleep', { ms: 5_000 }, { deadlineMs: 50 }), new Sink());
    expect(outcome.status).toBe('timed_out');
    expect(outcome.status !== 'succeeded' && outcome.error.details).toMatchObject({ plugin: 'hello', capability: 'hello.sleep' });
  });

  it('hello.sleep refuses more than the granted maxSleepMs, and everything without a grant', async () => {
    const host = await loadFromExampleConfig();
    const tooLong = await host.execute(dispatch('hello.sleep', { ms: 60_000 }), new Sink());
    expect(tooLong.status).toBe('failed');
    expect(tooLong.status !== 'succeeded' && tooLong.error.code).toBe('PALYRA_E_CAPABILITY_DENIED');

    const ungranted = await load({
      config: { plugins: [{ use: '.' }] },
      baseDir: HERE,
      signal: new AbortController().signal,
      logger: quiet,
      builtins: {},
    });
    const denied = await ungranted.execute(dispatch('hello.sleep', { ms: 1 }), new Sink());
    expect(denied.status !== 'succeeded' && denied.error.message).toContain('set grants.maxSleepMs');
  });
});
