import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PalyraError } from '@palyra/shared';
import { DEFAULT_BUILTINS, PluginHost } from '../../src/plugins/index.js';
import { CapturingLogger, FIXTURES, builtin, disposeHosts, loadHost, rejection, request, RecordingSink } from './helpers.js';

afterEach(disposeHosts);

/** A small in-memory plugin that records its lifecycle in `events`. */
function lifecyclePlugin(name: string, events: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    version: '1.0.0',
    apiVersion: 1,
    setup: () => {
      events.push(`setup ${name}`);
    },
    dispose: () => {
      events.push(`dispose ${name}`);
    },
    capabilities: [{ id: `${name}.run`, kind: 'read', description: 'run', inputSchema: {}, outputSchema: {}, execute: async () => ({ by: name }) }],
    ...extra,
  };
}

describe('PluginHost.load: finding and importing plugins', () => {
  it('loads a plugin by a path relative to baseDir and describes its capabilities', async () => {
    const host = await loadHost({ plugins: [{ use: './valid.js' }] });
    expect(host.plugins()).toEqual([
      {
        name: 'fixture-valid',
        version: '1.0.0',
        source: join(FIXTURES, 'valid.js'),
        capabilities: ['valid.echo', 'valid.grants', 'valid.denied', 'valid.write-late', 'valid.log', 'valid.bad-write'],
      },
    ]);
    const echo = host.capabilities().find((c) => c.id === 'valid.echo');
    expect(echo).toMatchObject({ id: 'valid.echo', kind: 'read', plugin: 'fixture-valid', description: expect.stringContaining('Streams') });
    expect(echo?.inputSchema).toMatchObject({ required: ['text'] });
    expect(echo?.outputSchema).toMatchObject({ required: ['echo'] });
    expect(() => JSON.stringify(host.capabilities())).not.toThrow();
  });

  it('loads by absolute path, by file: URL, and a directory through its package.json exports', async () => {
    const host = await loadHost({
      plugins: [
        { use: join(FIXTURES, 'throwing.js') },
        { use: pathToFileURL(join(FIXTURES, 'hanging.js')).href },
        { use: './pkg-dir' },
      ],
    });
    expect(host.plugins().map((p) => p.name)).toEqual(['fixture-throwing', 'fixture-hanging', 'fixture-pkg-dir']);
    expect(host.plugins()[2]?.source).toBe(join(FIXTURES, 'pkg-dir', 'lib', 'main.js'));
    await expect(host.execute(request('pkgdir.ping'), new RecordingSink())).resolves.toEqual({ status: 'succeeded', output: { pong: true } });
  });

  it('loads a package name from node_modules next to the config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palyra-plugins-'));
    try {
      const pkg = join(dir, 'node_modules', '@acme', 'palyra-plugin-weather');
      await mkdir(pkg, { recursive: true });
      await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: '@acme/palyra-plugin-weather', type: 'module', main: 'plugin.js' }));
      await writeFile(
        join(pkg, 'plugin.js'),
        `export default { name: 'weather', version: '2.0.0', apiVersion: 1, capabilities: [
          { id: 'weather.now', kind: 'net', description: 'now', inputSchema: {}, outputSchema: {}, execute: async () => ({ sunny: true }) }] };`,
      );
      const nested = join(dir, 'etc', 'palyra');
      await mkdir(nested, { recursive: true });
      const host = await loadHost({ plugins: [{ use: '@acme/palyra-plugin-weather' }] }, { baseDir: nested });
      expect(host.plugins()).toEqual([{ name: 'weather', version: '2.0.0', source: '@acme/palyra-plugin-weather', capabilities: ['weather.now'] }]);
      await expect(host.execute(request('weather.now'), new RecordingSink())).resolves.toEqual({ status: 'succeeded', output: { sunny: true } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['a path that does not exist', './missing.js', /does not exist/],
    ['a module that throws on import', './throws-on-import.js', /top-level failure/],
    ['a package that is not installed', 'palyra-plugin-that-is-not-installed', /importing palyra-plugin-that-is-not-installed failed/],
    ['a directory without an entry', '../', /no package.json "exports" or "main" and no index.js/],
  ])('fails with PALYRA_E_PLUGIN_LOAD_FAILED naming use for %s', async (_what, use, message) => {
    const error = await rejection(loadHost({ plugins: [{ use }] }));
    expect(error.code).toBe('PALYRA_E_PLUGIN_LOAD_FAILED');
    expect(error.message).toContain(`"${use}"`);
    expect(error.message).toMatch(message);
    expect(error.details).toMatchObject({ use });
  });

  it.each([
    ['no default export', './no-default.js', '(default export)'],
    ['another apiVersion', './bad-api-version.js', 'apiVersion'],
    ['a schema ajv rejects', './bad-schema.js', 'capabilities[0] ("schema.broken").inputSchema'],
    ['a bad capability', './bad-capability.js', 'capabilities[0].id'],
  ])('fails with PALYRA_E_PLUGIN_INVALID for a plugin with %s, naming the file and the field', async (_what, use, field) => {
    const error = await rejection(loadHost({ plugins: [{ use }] }));
    expect(error.code).toBe('PALYRA_E_PLUGIN_INVALID');
    expect(error.message).toContain(join(FIXTURES, use.slice(2)));
    expect(error.message).toContain(field);
  });

  it('skips a custom plugin whose entry says enabled: false', async () => {
    const host = await loadHost({ plugins: [{ use: './valid.js' }, { use: './missing.js', enabled: false }] });
    expect(host.plugins().map((p) => p.name)).toEqual(['fixture-valid']);
  });

  it('rejects a config that does not match the config schema', async () => {
    const error = await rejection(loadHost({ plugins: [{ use: './valid.js', grant: {} } as never] }));
    expect(error.code).toBe('PALYRA_E_CONFIG_INVALID');
    expect(error.message).toMatch(/additional properties/);
  });

  it('stops with PALYRA_E_CANCELLED when its signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(loadHost({ plugins: [{ use: './valid.js' }] }, { signal: controller.signal }));
    expect(error.code).toBe('PALYRA_E_CANCELLED');
  });
});

describe('PluginHost.load: built-ins', () => {
  it('defaults to @palyra/plugin-filesystem and @palyra/plugin-shell', () => {
    expect(Object.keys(DEFAULT_BUILTINS)).toEqual(['filesystem', 'shell', 'browser']);
    expect(DEFAULT_BUILTINS.browser?.source).toBe('@palyra/plugin-browser');
    expect(DEFAULT_BUILTINS.filesystem?.source).toBe('@palyra/plugin-filesystem');
    expect(DEFAULT_BUILTINS.shell?.source).toBe('@palyra/plugin-shell');
  });

  it('loads every built-in first, configured by its entry, unless enabled: false', async () => {
    const events: string[] = [];
    const builtins = {
      filesystem: builtin(lifecyclePlugin('files', events, { grantsSchema: { type: 'object', properties: { roots: { type: 'array' } } } }), '@palyra/plugin-filesystem'),
      shell: builtin(lifecyclePlugin('shell', events), '@palyra/plugin-shell'),
    };
    const host = await loadHost({ plugins: [{ use: './dup-a.js' }, { use: 'filesystem', grants: { roots: ['/srv'] } }] }, { builtins });
    expect(host.plugins().map((p) => [p.name, p.source])).toEqual([
      ['files', '@palyra/plugin-filesystem'],
      ['shell', '@palyra/plugin-shell'],
      ['fixture-dup-a', join(FIXTURES, 'dup-a.js')],
    ]);
    expect(events).toEqual(['setup files', 'setup shell']);

    const without = await loadHost({ plugins: [{ use: 'shell', enabled: false }] }, { builtins });
    expect(without.plugins().map((p) => p.name)).toEqual(['files']);
  });

  it('rejects a built-in configured twice', async () => {
    const builtins = { shell: builtin(lifecyclePlugin('shell', [])) };
    const error = await rejection(loadHost({ plugins: [{ use: 'shell' }, { use: 'shell', enabled: false }] }, { builtins }));
    expect(error.code).toBe('PALYRA_E_CONFIG_INVALID');
    expect(error.message).toContain('plugins[1] ("shell") configures the built-in plugin "shell" again (already plugins[0] ("shell"))');
  });

  it('fails with PALYRA_E_PLUGIN_LOAD_FAILED when a built-in cannot be imported', async () => {
    const builtins = { shell: { source: '@palyra/plugin-shell', load: () => Promise.reject(new Error('Cannot find package')) } };
    const error = await rejection(loadHost({}, { builtins }));
    expect(error.code).toBe('PALYRA_E_PLUGIN_LOAD_FAILED');
    expect(error.message).toContain('"shell"');
    expect(error.message).toContain('@palyra/plugin-shell');
  });
});

describe('PluginHost.load: grants', () => {
  it('validates grants against the grantsSchema, naming the plugin and the problem', async () => {
    const error = await rejection(loadHost({ plugins: [{ use: './valid.js', grants: { root: 7, limits: { maxBytes: -1 } } }] }));
    expect(error.code).toBe('PALYRA_E_CONFIG_INVALID');
    expect(error.message).toContain('plugins[0] ("./valid.js")');
    expect(error.message).toContain('plugin "fixture-valid"');
    expect(error.message).toContain('/root must be string');
    expect(error.message).toContain('/limits/maxBytes must be >= 0');
    expect(error.details).toMatchObject({ plugin: 'fixture-valid' });
  });

  it('rejects grants for a plugin that declares no grantsSchema', async () => {
    const error = await rejection(loadHost({ plugins: [{ use: './throwing.js', grants: { anything: true } }] }));
    expect(error.code).toBe('PALYRA_E_CONFIG_INVALID');
    expect(error.message).toContain('this plugin takes no grants');
  });

  it('hands out a deep-frozen copy of the grants, to setup and to every capability', async () => {
    const grants = { root: '/srv', limits: { maxBytes: 10 } };
    const logger = new CapturingLogger();
    const host = await loadHost({ plugins: [{ use: './valid.js', grants }] }, { logger });
    expect(logger.lines).toContainEqual({ level: 'info', message: 'setup', fields: { granted: ['root', 'limits'], plugin: 'fixture-valid' } });
    const outcome = await host.execute(request('valid.grants'), new RecordingSink());
    expect(outcome).toMatchObject({ status: 'succeeded', output: { grants, frozen: true, mutationThrew: true } });
    grants.root = '/';
    const again = await host.execute(request('valid.grants'), new RecordingSink());
    expect(again).toMatchObject({ status: 'succeeded', output: { grants: { root: '/srv' } } });
  });
});

describe('PluginHost.load: capability allowlist', () => {
  it('enables only the listed capabilities; the others are denied', async () => {
    const host = await loadHost({ plugins: [{ use: './valid.js', capabilities: ['valid.log', 'valid.echo'] }] });
    expect(host.capabilities().map((c) => c.id)).toEqual(['valid.echo', 'valid.log']);
    expect(host.plugins()[0]?.capabilities).toEqual(['valid.echo', 'valid.log']);
    const outcome = await host.execute(request('valid.grants'), new RecordingSink());
    expect(outcome.status).toBe('rejected');
    expect(outcome.status !== 'succeeded' && outcome.error.code).toBe('PALYRA_E_CAPABILITY_DENIED');
  });

  it('rejects an allowlist naming a capability the plugin does not have', async () => {
    const error = await rejection(loadHost({ plugins: [{ use: './valid.js', capabilities: ['valid.echo', 'valid.nope'] }] }));
    expect(error.code).toBe('PALYRA_E_CONFIG_INVALID');
    expect(error.message).toContain('plugin "fixture-valid" has no capability "valid.nope"');
    expect(error.details).toMatchObject({ plugin: 'fixture-valid', unknown: ['valid.nope'] });
  });
});

describe('PluginHost.load: duplicates', () => {
  it('rejects two plugins declaring the same capability id, naming both', async () => {
    const error = await rejection(loadHost({ plugins: [{ use: './dup-a.js' }, { use: './dup-b.js' }] }));
    expect(error.code).toBe('PALYRA_E_PLUGIN_DUPLICATE');
    expect(error.message).toContain('capability id "dup.same"');
    expect(error.message).toContain('plugin "fixture-dup-a"');
    expect(error.message).toContain('plugin "fixture-dup-b"');
    expect(error.details).toMatchObject({ plugins: ['fixture-dup-a', 'fixture-dup-b'] });
  });

  it('rejects two plugins with the same name', async () => {
    const error = await rejection(loadHost({ plugins: [{ use: './dup-a.js' }, { use: join(FIXTURES, 'dup-a.js') }] }));
    expect(error.code).toBe('PALYRA_E_PLUGIN_DUPLICATE');
    expect(error.message).toContain('plugin name "fixture-dup-a"');
  });

  it('rejects a custom plugin clashing with a built-in', async () => {
    const builtins = { shell: builtin({ ...lifecyclePlugin('fixture-dup-b', []), capabilities: [{ id: 'dup.same', kind: 'exec', description: 'x', inputSchema: {}, outputSchema: {}, execute: async () => ({}) }] }) };
    const error = await rejection(loadHost({ plugins: [{ use: './dup-a.js' }] }, { builtins }));
    expect(error.code).toBe('PALYRA_E_PLUGIN_DUPLICATE');
  });

  it('accepts the clash once an allowlist leaves only one of the two enabled', async () => {
    const host = await loadHost({ plugins: [{ use: './dup-a.js' }, { use: './dup-b.js', capabilities: ['dup.b-only'] }] });
    expect(host.capabilities().map((c) => `${c.plugin}:${c.id}`)).toEqual(['fixture-dup-a:dup.same', 'fixture-dup-a:dup.a-only', 'fixture-dup-b:dup.b-only']);
    await expect(host.execute(request('dup.same'), new RecordingSink())).resolves.toEqual({ status: 'succeeded', output: { from: 'a' } });
  });
});

describe('PluginHost.load: setup', () => {
  it('fails with PALYRA_E_PLUGIN_SETUP_FAILED when a setup hangs past pluginSetupTimeoutMs', async () => {
    const started = Date.now();
    const error = await rejection(loadHost({ pluginSetupTimeoutMs: 100, plugins: [{ use: './setup-hangs.js' }] }));
    expect(error.code).toBe('PALYRA_E_PLUGIN_SETUP_FAILED');
    expect(error.message).toContain('plugin "fixture-setup-hangs"');
    expect(error.message).toContain('did not finish within 100 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('aborts the setup signal on timeout', async () => {
    let seen: AbortSignal | undefined;
    const builtins = {
      slow: builtin({
        ...lifecyclePlugin('slow', []),
        setup: ({ signal }: { signal: AbortSignal }) => {
          seen = signal;
          return new Promise(() => {});
        },
      }),
    };
    await rejection(loadHost({ pluginSetupTimeoutMs: 50 }, { builtins }));
    expect(seen?.aborted).toBe(true);
  });

  it('fails with PALYRA_E_PLUGIN_SETUP_FAILED keeping the cause when a setup throws', async () => {
    const error = await rejection(loadHost({ plugins: [{ use: './setup-throws.js' }] }));
    expect(error.code).toBe('PALYRA_E_PLUGIN_SETUP_FAILED');
    expect(error.message).toContain('setup of plugin "fixture-setup-throws" (plugins[0] ("./setup-throws.js")) threw: cannot open the database');
    expect((error.cause as Error).message).toBe('cannot open the database');
    expect(error.details).toMatchObject({ plugin: 'fixture-setup-throws' });
  });

  it('keeps the code of a PalyraError a setup throws in details.causeCode', async () => {
    const builtins = {
      strict: builtin(
        lifecyclePlugin('strict', [], {
          setup: () => {
            throw new PalyraError('PALYRA_E_CONFIG_INVALID', 'grants.roots: "tmp" must be an absolute path');
          },
        }),
      ),
    };
    const error = await rejection(loadHost({}, { builtins }));
    expect(error.code).toBe('PALYRA_E_PLUGIN_SETUP_FAILED');
    expect(error.message).toContain('grants.roots: "tmp" must be an absolute path');
    expect(error.details).toMatchObject({ plugin: 'strict', causeCode: 'PALYRA_E_CONFIG_INVALID' });
  });

  it('disposes the plugins already set up, in reverse order, and sets up no later one', async () => {
    const events: string[] = [];
    const builtins = {
      one: builtin(lifecyclePlugin('one', events)),
      two: builtin(lifecyclePlugin('two', events)),
      three: builtin(lifecyclePlugin('three', events, { setup: () => Promise.reject(new Error('nope')) })),
      four: builtin(lifecyclePlugin('four', events)),
    };
    const error = await rejection(loadHost({}, { builtins }));
    expect(error.code).toBe('PALYRA_E_PLUGIN_SETUP_FAILED');
    expect(events).toEqual(['setup one', 'setup two', 'dispose two', 'dispose one']);
  });

  it('runs no setup when validation fails', async () => {
    const events: string[] = [];
    const builtins = { one: builtin(lifecyclePlugin('one', events)) };
    await rejection(loadHost({ plugins: [{ use: './bad-schema.js' }] }, { builtins }));
    expect(events).toEqual([]);
  });

  it('stops with PALYRA_E_CANCELLED when its signal aborts during a setup', async () => {
    const events: string[] = [];
    const controller = new AbortController();
    const builtins = {
      one: builtin(lifecyclePlugin('one', events)),
      two: builtin(lifecyclePlugin('two', events, { setup: () => (controller.abort(), new Promise(() => {})) })),
    };
    const error = await rejection(loadHost({}, { builtins, signal: controller.signal }));
    expect(error.code).toBe('PALYRA_E_CANCELLED');
    expect(events).toEqual(['setup one', 'dispose one']);
  });
});

describe('PluginHost.dispose', () => {
  it('disposes every plugin in reverse order once, logging failures instead of throwing', async () => {
    const events: string[] = [];
    const logger = new CapturingLogger();
    const builtins = {
      one: builtin(lifecyclePlugin('one', events)),
      two: builtin(lifecyclePlugin('two', events, { dispose: () => Promise.reject(new Error('socket already closed')) })),
      three: builtin(lifecyclePlugin('three', events)),
    };
    const host = await PluginHost.load({ config: {}, baseDir: FIXTURES, signal: new AbortController().signal, logger, builtins });
    await Promise.all([host.dispose(), host.dispose()]);
    await host.dispose();
    expect(events).toEqual(['setup one', 'setup two', 'setup three', 'dispose three', 'dispose one']);
    expect(logger.lines).toContainEqual({ level: 'error', message: 'plugin dispose failed', fields: { error: 'socket already closed', plugin: 'two' } });
  });

  it('does not wait forever for a dispose that hangs', async () => {
    const logger = new CapturingLogger();
    const builtins = { one: builtin(lifecyclePlugin('one', [], { dispose: () => new Promise(() => {}) })) };
    const host = await PluginHost.load({ config: { pluginSetupTimeoutMs: 50 }, baseDir: FIXTURES, signal: new AbortController().signal, logger, builtins });
    await host.dispose();
    expect(logger.lines.some((l) => l.level === 'error' && /did not finish within 50 ms/.test(l.message) && l.fields.plugin === 'one')).toBe(true);
  });
});
