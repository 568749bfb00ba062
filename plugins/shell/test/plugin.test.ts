import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PLUGIN_API_VERSION, PalyraError, compileSchema } from '@palyra/shared';
import shellPlugin, { SHELL_EXEC_INPUT_SCHEMA, SHELL_EXEC_OUTPUT_SCHEMA, SHELL_GRANTS_SCHEMA } from '../src/index.js';
import { execError } from './helpers.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

async function setup(grants: unknown): Promise<string[]> {
  const warnings: string[] = [];
  const log = () => {};
  await shellPlugin.setup?.({
    signal: new AbortController().signal,
    grants: grants as never,
    logger: { debug: log, info: log, error: log, warn: (message) => void warnings.push(message) },
  });
  return warnings;
}

describe('the shell plugin', () => {
  it('is a plugin named shell with one exec capability, shell.exec', () => {
    expect(shellPlugin.name).toBe('shell');
    expect(shellPlugin.version).toBe(pkg.version);
    expect(shellPlugin.apiVersion).toBe(PLUGIN_API_VERSION);
    expect(shellPlugin.capabilities.map((c) => [c.id, c.kind])).toEqual([['shell.exec', 'exec']]);
  });

  it('setup refuses grants with relative commands or roots', async () => {
    for (const grants of [{ commands: ['bin/tool'] }, { commands: ['./tool'] }, { roots: ['relative/dir'] }, { bogus: true }]) {
      const error = await setup(grants).catch((e: unknown) => e);
      expect(error, JSON.stringify(grants)).toBeInstanceOf(PalyraError);
      expect((error as PalyraError).code).toBe('PALYRA_E_CONFIG_INVALID');
    }
  });

  it('setup warns about grants that deny everything or allow more than they seem to', async () => {
    expect((await setup({})).join('\n')).toContain('refuses every command');
    expect((await setup({ allowShell: true })).join('\n')).toContain('any program');
    expect((await setup({ commands: ['palyra-no-such-program'] })).join('\n')).toContain('not found');
    expect((await setup({ commands: ['echo'], env: ['LD_PRELOAD', 'LANG'] })).join('\n')).toContain('LD_PRELOAD');
    expect(await setup({ commands: ['echo'], env: ['LANG'] })).toEqual([]);
  });
});

describe('the shell plugin schemas', () => {
  const input = compileSchema(SHELL_EXEC_INPUT_SCHEMA, 'input');
  const output = compileSchema(SHELL_EXEC_OUTPUT_SCHEMA, 'output');
  const grants = compileSchema(SHELL_GRANTS_SCHEMA, 'grants');

  it('accept real inputs, outputs and grants', () => {
    expect(input({ command: 'echo' })).toEqual([]);
    expect(input({ command: 'git', args: ['status'], cwd: 'repo', env: { GIT_PAGER: 'cat' }, stdin: '', timeoutMs: 1000, shell: false })).toEqual([]);
    expect(output({ exitCode: null, signal: 'SIGTERM', stdout: '', stderr: '', truncated: false, timedOut: true, durationMs: 501 })).toEqual([]);
    expect(grants({ commands: ['git', '/usr/bin/make'], roots: ['/srv/work'], env: ['HOME', 'LANG'], allowShell: false, maxOutputBytes: 0, timeoutMs: 60_000 })).toEqual([]);
    expect(grants({})).toEqual([]);
  });

  it('reject malformed inputs', () => {
    for (const bad of [
      {},
      { command: '' },
      { command: 'echo', extra: 1 },
      { command: 'echo', args: 'a b' },
      { command: 'echo', args: ['a\u0000b'] },
      { command: 'echo', env: { 'BAD-NAME': 'x' } },
      { command: 'echo', env: { A: 1 } },
      { command: 'echo', timeoutMs: 0 },
      { command: 'echo', timeoutMs: 1.5 },
    ]) {
      expect(input(bad), JSON.stringify(bad)).not.toEqual([]);
    }
    expect(output({ exitCode: 1.5, signal: null, stdout: '', stderr: '', truncated: false, timedOut: false, durationMs: 1 })).not.toEqual([]);
    expect(grants({ commands: 'echo' })).not.toEqual([]);
    expect(grants({ maxOutputBytes: -1 })).not.toEqual([]);
  });

  it('shell.exec itself refuses input that fails the schema with PALYRA_E_INPUT_INVALID', async () => {
    const error = await execError({ command: 'echo', args: ['a\u0000b'] }, { commands: ['echo'] });
    expect(error.code).toBe('PALYRA_E_INPUT_INVALID');
  });

  it('shell.exec refuses invalid grants with PALYRA_E_CONFIG_INVALID', async () => {
    const error = await execError({ command: 'echo' }, { commands: 'echo' });
    expect(error.code).toBe('PALYRA_E_CONFIG_INVALID');
  });
});
