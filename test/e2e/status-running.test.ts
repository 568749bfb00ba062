/**
 * `palyrad status` answers "is the daemon up?" through the built binary: `running: true`
 * and exit 0 while one runs; with none, `{running: false}` on stdout for --json, the
 * PALYRA_E_DAEMON_UNREACHABLE line on stderr and exit 69 (text and JSON alike).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, daemonCli, type DaemonStatusJson } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();

afterEach(async () => {
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('palyrad status: running or not', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('says running: false (exit 69) before a start and after a stop, running: true (exit 0) in between', async () => {
    const stateDir = join(await dirs.make('palyra-e2e-status-'), 'daemon');
    const expectDown = async (when: string): Promise<void> => {
      const json = await daemonCli(stateDir, 'status', '--json');
      expectErrorLine(json, 'PALYRA_E_DAEMON_UNREACHABLE', 69);
      expect(JSON.parse(json.stdout), `${when}: ${json.stdout}`).toEqual({ running: false, stateDir, admin: join(stateDir, 'admin.sock') });
      const text = await daemonCli(stateDir, 'status');
      expectErrorLine(text, 'PALYRA_E_DAEMON_UNREACHABLE', 69);
      expect(text.stdout, when).toBe('');
    };

    await expectDown('before any start');
    const daemon = await DaemonProcess.start(stateDir);
    const up = parseOneJson<DaemonStatusJson>(await daemon.cli('status', '--json'));
    expect(up).toMatchObject({ running: true, pid: daemon.ready.pid, stateDir, admin: daemon.ready.admin });
    const text = await daemon.cli('status');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`running (pid ${daemon.ready.pid})`);

    const stopped = await daemon.stop();
    expect(stopped.code, stopped.stderr).toBe(0);
    await expectDown('after a stop');
  });
});
