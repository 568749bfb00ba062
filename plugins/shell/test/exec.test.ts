import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exec, execError, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

describe('shell.exec runs a program in argv form', () => {
  it('runs echo with args and returns its output and exit status', async () => {
    const { output } = await exec({ command: 'echo', args: ['hello', 'world'] }, { commands: ['echo'] });
    expect(output).toMatchObject({ exitCode: 0, signal: null, stdout: 'hello world\n', stderr: '', truncated: false, timedOut: false });
    expect(output.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('returns a non-zero exit as a result, with stderr', async () => {
    const { output } = await exec({ command: 'sh', args: ['-c', 'echo oops >&2; exit 3'] }, { commands: ['sh'] });
    expect(output).toMatchObject({ exitCode: 3, signal: null, stdout: '', stderr: 'oops\n', timedOut: false });
  });

  it('passes shell metacharacters in args as plain text', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a-file'), '');
    const args = ['a;b', '$(id)', '`id`', '*', '$HOME', '&&', '|', '> out', "'q'", '~'];
    const { output } = await exec({ command: 'echo', args }, { commands: ['echo'], roots: [dir] });
    expect(output.stdout).toBe(`${args.join(' ')}\n`);
    expect(output.exitCode).toBe(0);
  });

  it('writes stdin to the command and closes it', async () => {
    const { output } = await exec({ command: 'cat', stdin: 'line one\nline two\n' }, { commands: ['cat'] });
    expect(output.stdout).toBe('line one\nline two\n');
  });

  it('gives the command /dev/null as stdin when none is given (cat ends at once)', async () => {
    const { output } = await exec({ command: 'cat', timeoutMs: 20_000 }, { commands: ['cat'] });
    expect(output).toMatchObject({ exitCode: 0, stdout: '', timedOut: false });
  });

  it('runs an allowlisted program that does not read its large stdin', async () => {
    const { output } = await exec({ command: 'true', stdin: 'x'.repeat(2_000_000) }, { commands: ['true'] });
    expect(output.exitCode).toBe(0);
  });
});

describe('shell.exec when the program cannot start', () => {
  it('is PALYRA_E_EXEC_FAILED for an allowlisted absolute path that does not exist (ENOENT)', async () => {
    const error = await execError({ command: '/nonexistent/palyra-nope' }, { commands: ['/nonexistent/palyra-nope'] });
    expect(error.code).toBe('PALYRA_E_EXEC_FAILED');
    expect(error.message).toContain('ENOENT');
    expect(error.details).toMatchObject({ command: '/nonexistent/palyra-nope', code: 'ENOENT' });
  });

  it('is PALYRA_E_EXEC_FAILED for an allowlisted name that is not on PATH', async () => {
    const error = await execError({ command: 'palyra-no-such-program' }, { commands: ['palyra-no-such-program'] });
    expect(error.code).toBe('PALYRA_E_EXEC_FAILED');
    expect(error.message).toContain('not found');
  });

  it('is PALYRA_E_EXEC_FAILED for an allowlisted file that is not executable (EACCES)', async () => {
    const dir = await tempDir();
    const file = join(dir, 'not-executable');
    await writeFile(file, '#!/bin/sh\necho hi\n');
    await chmod(file, 0o644);
    const error = await execError({ command: file }, { commands: [file] });
    expect(error.code).toBe('PALYRA_E_EXEC_FAILED');
    expect(error.details).toMatchObject({ code: 'EACCES' });
  });
});
