import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exec, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

/** Prints "first", waits until the file $1 exists, prints "second". */
const HANDSHAKE = 'printf first; while [ ! -e "$1" ]; do sleep 0.05; done; printf second';

describe('shell.exec streaming', () => {
  it('delivers the first chunk to ctx.write while the command is still running', async () => {
    const dir = await tempDir();
    const go = join(dir, 'go');
    // The command only finishes after the test saw "first" streamed: without streaming it
    // would wait until the timeout and come back timedOut.
    const { output, chunks } = await exec(
      { command: 'sh', args: ['-c', HANDSHAKE, 'sh', go], timeoutMs: 20_000 },
      { commands: ['sh'] },
      { onWrite: (streamed) => streamed.includes('first') && writeFileSync(go, '') },
    );
    expect(output).toMatchObject({ timedOut: false, exitCode: 0, stdout: 'firstsecond' });
    expect(chunks[0]?.toString()).toBe('first');
  });

  it('streams stderr chunks too, raw and unprefixed, while the result keeps the streams apart', async () => {
    const { output, streamed } = await exec({ command: 'sh', args: ['-c', 'echo out; echo err >&2'] }, { commands: ['sh'] });
    expect(output.stdout).toBe('out\n');
    expect(output.stderr).toBe('err\n');
    expect(streamed().split('\n').sort()).toEqual(['', 'err', 'out']);
  });
});
