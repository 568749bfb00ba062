import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin, type PluginDefinition } from '@palyra/shared';
import { PluginHost, type BuiltinPlugin } from '../../src/plugins/index.js';
import { CapturingLogger } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A plugin that keeps the ctx.dataDir its setup received. */
function recordingPlugin(name: string, seen: Map<string, string | undefined>): BuiltinPlugin {
  const plugin = definePlugin({
    name,
    version: '1.0.0',
    apiVersion: 1,
    capabilities: [{ id: `${name}.noop`, kind: 'read', description: 'nothing', inputSchema: {}, outputSchema: {}, execute: async () => null }],
    setup(ctx) {
      seen.set(name, ctx.dataDir);
    },
  }) as PluginDefinition;
  return { source: `test:${name}`, load: async () => plugin };
}

async function load(seen: Map<string, string | undefined>, stateDir?: string): Promise<void> {
  const host = await PluginHost.load({
    config: {},
    baseDir: tmpdir(),
    signal: new AbortController().signal,
    logger: new CapturingLogger(),
    builtins: { alpha: recordingPlugin('alpha', seen), beta: recordingPlugin('beta', seen) },
    ...(stateDir === undefined ? {} : { stateDir }),
  });
  cleanups.push(() => host.dispose());
}

describe('PluginHost: ctx.dataDir', () => {
  it('gives each plugin its own 0700 directory under <stateDir>/plugins, created before setup', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'palyra-datadir-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    const seen = new Map<string, string | undefined>();
    await load(seen, stateDir);
    expect(seen.get('alpha')).toBe(join(stateDir, 'plugins', 'alpha'));
    expect(seen.get('beta')).toBe(join(stateDir, 'plugins', 'beta'));
    for (const dir of seen.values()) {
      const info = await stat(dir ?? '');
      expect(info.isDirectory()).toBe(true);
      if (process.platform !== 'win32') expect(info.mode & 0o777).toBe(0o700);
    }
  });

  it('is undefined without a state directory (listing plugins)', async () => {
    const seen = new Map<string, string | undefined>();
    await load(seen);
    expect([...seen]).toEqual([
      ['alpha', undefined],
      ['beta', undefined],
    ]);
  });
});
