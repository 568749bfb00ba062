/**
 * daemon.lock judged by who really holds it, through the built binary: a lock whose pid now
 * belongs to an unrelated process (the daemon crashed and the pid was reused) does not block
 * `palyrad start`; a lock held by a running palyrad does.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { processStartTime } from '@palyra/shared/fs';
import { expectErrorLine } from '../helpers/cliAssertions.js';
import { DaemonProcess } from '../helpers/daemonHarness.js';
import { E2E_TEST_TIMEOUT_MS, PALYRAD, spawnBin, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();
const unrelated: ReturnType<typeof spawn>[] = [];
afterEach(async () => {
  for (const child of unrelated.splice(0)) child.kill('SIGKILL');
  await stopProcesses();
});
afterAll(() => dirs.cleanup());

describe('daemon.lock holder', () => {
  it('takes over a lock whose pid runs an unrelated program, and refuses one a running palyrad holds', async () => {
    const stateDir = join(await dirs.make('palyra-e2e-lockpid-'), 'state');
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    unrelated.push(sleeper);
    const pid = sleeper.pid!;
    const startTime = processStartTime(pid);
    expect(startTime).toBeDefined();
    // The lock a crashed palyrad left, its pid since given to `sleep`: the start time differs.
    await writeFile(join(stateDir, 'daemon.lock'), `${pid} ${String(Number(startTime) - 100)} 0123456789abcdef\n`, { mode: 0o600 });

    const daemon = await DaemonProcess.start(stateDir);
    expect(Number((await readFile(join(stateDir, 'daemon.lock'), 'utf8')).split(' ')[0])).toBe(daemon.ready.pid);
    expect(sleeper.exitCode).toBeNull();

    const second = await spawnBin(PALYRAD, ['start', '--state-dir', stateDir, '--listen', '127.0.0.1:0']).waitForExit();
    expect(expectErrorLine(second, 'PALYRA_E_DAEMON_RUNNING', 75, { logs: true })).toContain(`pid ${daemon.ready.pid}`);
    expect(daemon.process.running).toBe(true);
  }, E2E_TEST_TIMEOUT_MS);
});
