/**
 * `palyrad approvals` for real: the built binary in a tmux pane sized 80x24, driven by
 * keystrokes, approving a `palyra-node join` that waits in another process; the same through
 * an operator profile over the daemon's remote admin endpoint. Also the non-interactive
 * refusal when stdout is not a terminal.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine } from '../helpers/cliAssertions.js';
import { DaemonProcess, daemonCli, spawnJoin } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRAD, runBin, stopProcesses, TempDirs } from '../helpers/processes.js';
import { killTmuxServers, TmuxPane } from '../helpers/tmuxPane.js';

const dirs = new TempDirs();

afterEach(async () => {
  await killTmuxServers();
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('palyrad approvals (real terminal)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('shows a waiting join with the SAS it printed; a then y approves it and the join exits 0', async () => {
    const stateDir = join(await dirs.make('palyra-e2e-tui-'), 'daemon');
    const nodeDir = join(await dirs.make('palyra-e2e-tui-node-'), 'node');
    const daemon = await DaemonProcess.start(stateDir);
    const pin = await daemon.mintPin();
    const joining = spawnJoin(nodeDir, daemon, pin, ['--name', 'tmux-node']);
    const [, sas, requestId] = await joining.waitFor(/^confirmation code (\S+) \(request (\S+?)[,)]/m);
    await joining.waitFor(/^waiting for approval$/m);

    const pane = await TmuxPane.start([process.execPath, PALYRAD, 'approvals', '--state-dir', stateDir], join(stateDir, '..', 'approvals.status'));
    expect(await pane.size()).toBe('80x24');
    const screen = await pane.waitForScreen((s) => s.includes(sas ?? '?'), `the request with SAS ${sas}`);
    expect(screen).toContain('Palyra approvals');
    expect(screen).toContain('1 pending');
    expect(screen).toMatch(new RegExp(`› tmux-node\\s+${process.platform}-${process.arch}\\s+127\\.0\\.0\\.1:\\d+\\s+${sas}\\s+\\d+s`));
    const lines = screen.replace(/\n$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(80);
    expect(joining.running).toBe(true);

    await pane.sendKeys('a');
    await pane.waitForScreen((s) => s.replace(/\n/g, ' ').includes(`Approve tmux-node (SAS ${sas}`) && s.includes('[y/n]'), 'the confirmation prompt');
    expect(joining.running, 'nothing is decided before y').toBe(true);
    await pane.sendKeys('y');

    const joined = await joining.waitForExit(30_000);
    expect(joined.code, joined.stderr).toBe(0);
    expect(joined.stdout).toContain('approved: joined');
    const after = await pane.waitForScreen((s) => s.includes('approved tmux-node'), 'the approval notice');
    expect(after).toContain('0 pending');
    const pending = await daemon.json<Array<{ requestId: string }>>('nodes', 'pending');
    expect(pending.map((r) => r.requestId)).not.toContain(requestId);

    await pane.sendKeys('q');
    const deadline = Date.now() + 30_000;
    let status = await pane.exitStatus();
    while (status === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await pane.exitStatus();
    }
    expect(status, `exit status of palyrad approvals after q; screen:\n${await pane.capture()}`).toBe(0);
  });

  it('works the same through an operator profile on the remote admin endpoint: a then y approves, the join exits 0', async () => {
    const base = await dirs.make('palyra-e2e-tui-remote-');
    const daemon = await DaemonProcess.start(join(base, 'daemon'), ['--admin-listen', '127.0.0.1:0']);
    const adminTls = (daemon.ready as { adminTls?: string }).adminTls ?? '';
    const { token } = await daemon.json<{ token: string }>('tokens', 'create', '--name', 'tui', '--role', 'admin', '--ttl', '1h');
    const config = join(base, 'config');
    const login = await runBin(PALYRAD, ['auth', 'login', '--profile', 'tui', '--daemon', adminTls, '--ca-fingerprint', daemon.ready.ca], { XDG_CONFIG_HOME: config }, { stdin: token });
    expect(login.code, login.stderr).toBe(0);

    const pin = await daemon.mintPin();
    const joining = spawnJoin(join(base, 'node'), daemon, pin, ['--name', 'remote-tui-node']);
    const [, sas] = await joining.waitFor(/^confirmation code (\S+) \(request (\S+?)[,)]/m);
    await joining.waitFor(/^waiting for approval$/m);

    // Only the profile says where the daemon is: no --state-dir, PALYRA_STATE_DIR empty.
    const pane = await TmuxPane.start(
      ['env', `XDG_CONFIG_HOME=${config}`, 'PALYRA_VAULT=file', process.execPath, PALYRAD, 'approvals', '--profile', 'tui'],
      join(base, 'approvals.status'),
    );
    const screen = await pane.waitForScreen((s) => s.includes(sas ?? '?'), `the request with SAS ${sas} through the profile`);
    expect(screen).toContain('1 pending');
    expect(screen).toContain('remote-tui-node');
    await pane.sendKeys('a');
    await pane.waitForScreen((s) => s.includes('[y/n]'), 'the confirmation prompt');
    await pane.sendKeys('y');
    const joined = await joining.waitForExit(30_000);
    expect(joined.code, joined.stderr).toBe(0);
    await pane.waitForScreen((s) => s.includes('approved remote-tui-node'), 'the approval notice');
    await pane.sendKeys('q');
    const deadline = Date.now() + 30_000;
    let status = await pane.exitStatus();
    while (status === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await pane.exitStatus();
    }
    expect(status, `exit status of palyrad approvals --profile after q; screen:\n${await pane.capture()}`).toBe(0);
  });

  it('refuses to run without a terminal, pointing scripts at nodes pending --json', async () => {
    const stateDir = join(await dirs.make('palyra-e2e-tui-notty-'), 'daemon');
    const result = await daemonCli(stateDir, 'approvals');
    const message = expectErrorLine(result, 'PALYRA_E_USAGE', 64);
    expect(message).toContain('needs a terminal');
    expect(message).toContain('palyrad nodes pending --json');
    expect(result.stdout).toBe('');
  });
});
