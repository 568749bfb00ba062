import { describe, expect, it } from 'vitest';
import { exec, execError, isAlive, waitFor } from './helpers.js';

const node = process.execPath;

describe('shell.exec output cap', () => {
  it('keeps and streams at most maxOutputBytes per stream, lets the command finish, and says truncated', async () => {
    const script = "process.stdout.write('o'.repeat(100000)); process.stderr.write('e'.repeat(50)); process.exitCode = 7";
    const { output, streamed } = await exec({ command: node, args: ['-e', script] }, { commands: [node], maxOutputBytes: 1000 });
    expect(output.stdout).toBe('o'.repeat(1000));
    expect(output.stderr).toBe('e'.repeat(50));
    expect(output).toMatchObject({ truncated: true, exitCode: 7, timedOut: false });
    expect(Buffer.byteLength(streamed())).toBe(1050);
  });

  it('defaults to 1 MiB per stream', async () => {
    const script = "process.stdout.write('x'.repeat(1024 * 1024 + 10))";
    const { output } = await exec({ command: node, args: ['-e', script] }, { commands: [node] });
    expect(output.stdout.length).toBe(1024 * 1024);
    expect(output.truncated).toBe(true);
  });

  it('is not truncated at exactly the cap', async () => {
    const { output } = await exec({ command: 'printf', args: ['12345'] }, { commands: ['printf'], maxOutputBytes: 5 });
    expect(output).toMatchObject({ stdout: '12345', truncated: false });
  });

  it('turns a multi-byte character cut at the cap into U+FFFD', async () => {
    const { output } = await exec({ command: 'printf', args: ['aé'] }, { commands: ['printf'], maxOutputBytes: 2 });
    expect(output.stdout).toBe('a\uFFFD');
    expect(output.truncated).toBe(true);
  });
});

describe('shell.exec timeout', () => {
  it('refuses a timeoutMs over the granted maximum', async () => {
    const error = await execError({ command: 'echo', timeoutMs: 10_001 }, { commands: ['echo'], timeoutMs: 10_000 });
    expect(error.code).toBe('PALYRA_E_LIMIT_EXCEEDED');
    expect(error.message).toContain('grants.timeoutMs');
  });

  it('kills the process tree when timeoutMs runs out and returns timedOut with the output so far', async () => {
    const started = Date.now();
    const { output } = await exec(
      { command: 'sh', args: ['-c', 'echo started; sleep 30 & echo $!; wait'], timeoutMs: 500 },
      { commands: ['sh'] },
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(output).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGTERM', truncated: false });
    const [first, pid] = output.stdout.split('\n');
    expect(first).toBe('started');
    expect(await waitFor(() => !isAlive(Number(pid)))).toBe(true);
  });

  it('uses the granted timeoutMs when the input gives none', async () => {
    const { output } = await exec({ command: 'sleep', args: ['30'] }, { commands: ['sleep'], timeoutMs: 300 });
    expect(output.timedOut).toBe(true);
  });

  it('follows with SIGKILL when the tree ignores SIGTERM', async () => {
    const started = Date.now();
    const { output } = await exec(
      { command: 'sh', args: ['-c', 'trap "" TERM; sleep 30 & echo $!; wait'], timeoutMs: 300 },
      { commands: ['sh'] },
    );
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(output).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
    expect(await waitFor(() => !isAlive(Number(output.stdout.trim())))).toBe(true);
  });
});
