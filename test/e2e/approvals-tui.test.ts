/**
 * `palyrad approvals` for real: the built binary in a tmux pane sized 80x24, driven by
 * keystrokes, approving a `palyra-node join` that waits in another process. Also the
 * non-interactive refusal when stdout is not a terminal.
 */
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine } from '../helpers/cliAssertions.js';
import { DaemonProcess, daemonCli, spawnJoin } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRAD, stopProcesses, TempDirs } from '../helpers/processes.js';

const run = promisify(execFile);
const dirs = new TempDirs();
/** tmux servers started by a test (each on its own socket), killed in afterEach. */
const tmuxServers = new Set<string>();

/** A tmux server of its own (-L), so cleanup never touches anyone else's sessions. */
class TmuxPane {
  private constructor(
    readonly server: string,
    private readonly statusFile: string,
  ) {}

  /**
   * Runs `command` in a detached 80x24 session. A shell around it writes its exit status to
   * `statusFile`: tmux itself does not always reap a pane's process (the pane can stay
   * "dead" with no status), so its pane_dead_status cannot be relied on.
   */
  static async start(command: string[], statusFile: string, size = { columns: 80, rows: 24 }): Promise<TmuxPane> {
    const server = `palyra-e2e-${process.pid}-${Date.now().toString(36)}`;
    tmuxServers.add(server);
    const pane = new TmuxPane(server, statusFile);
    const wrapped = ['/bin/sh', '-c', 'status_file=$1; shift; "$@"; echo "$?" > "$status_file"', 'sh', statusFile, ...command];
    // -f /dev/null: no user config; remain-on-exit keeps the last screen after the program ends.
    await pane.tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'approvals', '-x', String(size.columns), '-y', String(size.rows), ...wrapped);
    await pane.tmux('set-option', '-t', 'approvals', 'remain-on-exit', 'on');
    return pane;
  }

  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.server, ...args], {
      env: { ...process.env, TERM: 'xterm-256color', PALYRA_STATE_DIR: '', PALYRA_DAEMON: '' },
    });
    return stdout;
  }

  capture(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-t', 'approvals');
  }

  sendKeys(...keys: string[]): Promise<string> {
    return this.tmux('send-keys', '-t', 'approvals', ...keys);
  }

  async size(): Promise<string> {
    return (await this.tmux('display-message', '-p', '-t', 'approvals', '#{pane_width}x#{pane_height}')).trim();
  }

  /** `null` while the program runs, else its exit status (128 + N for signal N). */
  async exitStatus(): Promise<number | null> {
    const text = await readFile(this.statusFile, 'utf8').catch(() => '');
    return text.trim() === '' ? null : Number(text.trim());
  }

  /** Polls the screen until `test` holds; fails with the last screen. */
  async waitForScreen(test: (screen: string) => boolean, what: string, timeoutMs = 45_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < deadline) {
      screen = await this.capture();
      if (test(screen)) return screen;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${screen}`);
  }
}

afterEach(async () => {
  for (const server of tmuxServers) {
    await run('tmux', ['-L', server, 'kill-server']).catch(() => undefined);
    // tmux may leave the socket file of a server that is gone.
    await rm(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, server), { force: true });
  }
  tmuxServers.clear();
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

  it('refuses to run without a terminal, pointing scripts at nodes pending --json', async () => {
    const stateDir = join(await dirs.make('palyra-e2e-tui-notty-'), 'daemon');
    const result = await daemonCli(stateDir, 'approvals');
    const message = expectErrorLine(result, 'PALYRA_E_USAGE', 64);
    expect(message).toContain('needs a terminal');
    expect(message).toContain('palyrad nodes pending --json');
    expect(result.stdout).toBe('');
  });
});
