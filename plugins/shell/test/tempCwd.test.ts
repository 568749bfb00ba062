/**
 * The fresh temp working directory of a command (no roots granted) never outlives the agent:
 * a real Node process runs shell.exec from the built plugin and exits (process.exit, as on a
 * fatal error) while the command still runs.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, expect, it } from 'vitest';

const PLUGIN = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;

let temp: string | undefined;
afterEach(async () => {
  if (temp !== undefined) await rm(temp, { recursive: true, force: true });
  temp = undefined;
});

/** Runs `sh -c "echo started; sleep 300"` through shell.exec and exits once it printed. */
const SCRIPT = `
import { shellExec } from ${JSON.stringify(PLUGIN)};
const log = () => {};
const ctx = {
  signal: new AbortController().signal,
  deadline: new Date(Date.now() + 120_000),
  dispatchId: 'exit-test',
  grants: { commands: ['sh'] },
  logger: { debug: log, info: log, warn: log, error: log },
  write(chunk) {
    if (Buffer.from(chunk).toString('utf8').includes('started')) process.exit(0);
  },
  progress() {},
};
await shellExec.execute({ command: 'sh', args: ['-c', 'echo started; sleep 300'] }, ctx);
process.exit(3);
`;

it('removes the temp working directory when the agent exits while the command runs', async () => {
  temp = await mkdtemp(join(tmpdir(), 'palyra-shell-exit-'));
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: temp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code, stderr).toBe(0);
  expect(await readdir(temp)).toEqual([]);
});
