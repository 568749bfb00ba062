/**
 * Another local user without access to the daemon's admin socket must be told that
 * permission was denied (and by whose file), not that no daemon runs. Real processes: a
 * palyrad run by root, and the built `palyrad status` run as `nobody` through runuser. Needs
 * root (to run a command as another user); skipped otherwise.
 */
import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, type DaemonStatusJson } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRAD, stopProcesses, TempDirs, type CommandResult } from '../helpers/processes.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 'nobody';
const dirs = new TempDirs();

afterAll(async () => {
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

/** `palyrad <args>` as the user nobody, with none of this process's PALYRA_* settings. */
function asNobody(...args: string[]): Promise<CommandResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PALYRA_')));
  return new Promise((resolve) => {
    execFile('runuser', ['-u', NOBODY, '--', process.execPath, PALYRAD, ...args], { cwd: tmpdir(), env: { ...env, HOME: tmpdir() } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, signal: (error?.signal as NodeJS.Signals | undefined) ?? null, stdout, stderr });
    });
  });
}

describe('the admin socket refuses another local user with a clear message (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  if (!isRoot) {
    it.skip('needs root to run palyrad status as another user: skipped (not root)', () => {});
    return;
  }

  it('palyrad status as nobody says permission denied, on the state dir and then on the socket, naming the owner', async () => {
    const base = await dirs.make('palyra-e2e-admin-access-');
    // The parent is open so that the daemon's own 0700 state dir is what stops nobody.
    await chmod(base, 0o755);
    const stateDir = join(base, 'state');
    const daemon = await DaemonProcess.start(stateDir, ['--quic-listen', 'off']);
    expect(parseOneJson<DaemonStatusJson>(await daemon.cli('status', '--json')).running).toBe(true);

    // 1. The 0700 state dir hides the socket: lstat fails with EACCES, not ENOENT.
    const hidden = await asNobody('status', '--state-dir', stateDir);
    const hiddenMessage = expectErrorLine(hidden, 'PALYRA_E_ADMIN_ACCESS_DENIED', 77);
    expect(hiddenMessage).toContain(`permission denied on ${stateDir} (it belongs to root, uid 0)`);
    expect(hiddenMessage).toContain(`may not use the daemon's admin socket ${join(stateDir, 'admin.sock')}`);
    expect(hiddenMessage).toContain('run the command as root');
    expect(hiddenMessage).not.toContain('no daemon answers');

    // 2. A state dir others may enter (made so for the test): the 0600 socket refuses the connect.
    await chmod(stateDir, 0o711);
    try {
      const refused = await asNobody('status', '--json', '--state-dir', stateDir);
      const refusedMessage = expectErrorLine(refused, 'PALYRA_E_ADMIN_ACCESS_DENIED', 77);
      expect(refusedMessage).toContain(`permission denied on ${join(stateDir, 'admin.sock')} (it belongs to root, uid 0)`);
      expect(refused.stdout).toBe('');
    } finally {
      await chmod(stateDir, 0o700);
    }

    // 3. No daemon at all is still "unreachable", for nobody as for anyone.
    const empty = await dirs.make('palyra-e2e-admin-access-none-');
    await chmod(empty, 0o755);
    expectErrorLine(await asNobody('status', '--state-dir', join(empty, 'state')), 'PALYRA_E_DAEMON_UNREACHABLE', 69);
    await daemon.stop();
  });
});
