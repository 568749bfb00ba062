/**
 * Item 9 of issue 12: the pairing code must not sit on the command line of a waiting
 * `palyra-node join`, where every local user sees it (`ps`, /proc/<pid>/cmdline). With real
 * processes: the code read from stdin (`--pin -`, `--qr -`), from PALYRA_PAIRING_CODE, and at
 * a hidden prompt in a real terminal (tmux); `--pin N` still works but warns.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine } from '../helpers/cliAssertions.js';
import { nodeCli, type DaemonProcess, type PairingCodeJson, type PendingRow } from '../helpers/daemonHarness.js';
import { useSharedDaemon } from '../helpers/sharedDaemon.js';
import { E2E_TEST_TIMEOUT_MS, PALYRA_NODE, spawnBin, type RunningProcess, type SpawnOptions } from '../helpers/processes.js';
import { killTmuxServers, TmuxPane } from '../helpers/tmuxPane.js';

const run = promisify(execFile);
const { dirs, running } = useSharedDaemon('palyra-e2e-code-input-');
afterEach(() => killTmuxServers());

const WARNING = /^palyra-node: warning: --(pin|qr) puts the pairing code on the command line/m;

async function nodeDir(): Promise<string> {
  return join(await dirs.make('palyra-e2e-code-input-node-'), 'state');
}

function startJoin(d: DaemonProcess, dir: string, name: string, args: string[], env: NodeJS.ProcessEnv = {}, options: SpawnOptions = {}): RunningProcess {
  return spawnBin(PALYRA_NODE, ['join', ...args, '--state-dir', dir, '--name', name, ...(args.includes('--daemon') ? [] : ['--daemon', d.ready.grpc])], env, options);
}

/** What other local users see of a process: its argv in `ps` and in /proc/<pid>/cmdline. */
async function visibleCommandLine(pid: number): Promise<string> {
  const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  const { stdout } = await run('ps', ['-ww', '-o', 'args=', '-p', String(pid)]);
  expect(stdout, 'ps shows the join').toContain('join');
  return `${cmdline}\n${stdout}`;
}

/** Approves the waiting request of `name` and returns the join's result (exit 0 expected). */
async function approve(d: DaemonProcess, name: string): Promise<void> {
  const [request] = (await d.json<PendingRow[]>('nodes', 'pending')).filter((row) => row.name === name);
  expect(request, `a pending request named ${name}`).toBeDefined();
  const approved = await d.cli('nodes', 'approve', request?.requestId ?? '');
  expect(approved.code, approved.stderr).toBe(0);
}

async function expectJoined(dir: string): Promise<void> {
  const status = JSON.parse((await nodeCli(dir, 'status', '--json')).stdout) as { joined: boolean };
  expect(status.joined).toBe(true);
}

describe('palyra-node join: where the pairing code comes from (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('--pin - reads the PIN from stdin; the waiting join shows no PIN in ps or /proc, and no warning', async () => {
    const d = running();
    const pin = await d.mintPin();
    const dir = await nodeDir();
    const joining = startJoin(d, dir, 'stdin-pin', ['--pin', '-'], {}, { stdin: `${pin}\n` });
    await joining.waitFor(/^waiting for approval$/m);
    const visible = await visibleCommandLine(joining.pid);
    expect(visible).toContain('--pin -');
    expect(visible).not.toContain(pin);
    await approve(d, 'stdin-pin');
    const result = await joining.waitForExit();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(`${result.stdout}${result.stderr}`).not.toContain(pin);
    await expectJoined(dir);
  });

  it('--qr - reads the QR payload from stdin; its token is not on the command line', async () => {
    const d = running();
    const code = await d.json<PairingCodeJson>('pairing', 'code', '--method', 'qr');
    const dir = await nodeDir();
    const joining = spawnBin(PALYRA_NODE, ['join', '--qr', '-', '--state-dir', dir, '--name', 'stdin-qr'], {}, { stdin: `${code.uri ?? ''}\n` });
    await joining.waitFor(/^waiting for approval$/m);
    const visible = await visibleCommandLine(joining.pid);
    expect(visible).not.toContain(code.code);
    expect(visible).not.toContain('palyra://');
    await approve(d, 'stdin-qr');
    expect((await joining.waitForExit()).code).toBe(0);
    await expectJoined(dir);
  });

  it('PALYRA_PAIRING_CODE holds a PIN (six digits) or a QR URI (palyra://), told apart by form', async () => {
    const d = running();
    const pin = await d.mintPin();
    const pinDir = await nodeDir();
    const byPin = startJoin(d, pinDir, 'env-pin', [], { PALYRA_PAIRING_CODE: pin });
    await byPin.waitFor(/^waiting for approval$/m);
    expect(await visibleCommandLine(byPin.pid)).not.toContain(pin);
    await approve(d, 'env-pin');
    const pinResult = await byPin.waitForExit();
    expect(pinResult.code, pinResult.stderr).toBe(0);
    expect(pinResult.stderr).toBe('');
    await expectJoined(pinDir);

    const qr = await d.json<PairingCodeJson>('pairing', 'code', '--method', 'qr');
    const qrDir = await nodeDir();
    // No --daemon: the address comes from the URI.
    const byQr = spawnBin(PALYRA_NODE, ['join', '--state-dir', qrDir, '--name', 'env-qr'], { PALYRA_PAIRING_CODE: qr.uri ?? '' });
    await byQr.waitFor(/^waiting for approval$/m);
    await approve(d, 'env-qr');
    expect((await byQr.waitForExit()).code).toBe(0);
    await expectJoined(qrDir);

    const neither = await startJoin(d, await nodeDir(), 'env-bad', [], { PALYRA_PAIRING_CODE: '12345x' }).waitForExit();
    const message = expectErrorLine(neither, 'PALYRA_E_USAGE', 64);
    expect(message).toContain('PALYRA_PAIRING_CODE is neither a 6-digit PIN nor a palyra://pair URI');
    expect(message).not.toContain('12345x');
  });

  it('--pin N on the command line still pairs, with a warning on stderr that never holds the PIN', async () => {
    const d = running();
    const pin = await d.mintPin();
    const dir = await nodeDir();
    const joining = startJoin(d, dir, 'argv-pin', ['--pin', pin]);
    await joining.waitFor(WARNING, undefined, 'stderr');
    await joining.waitFor(/^waiting for approval$/m);
    expect(joining.stderr).toContain('other local users');
    expect(joining.stderr).not.toContain(pin);
    await approve(d, 'argv-pin');
    const result = await joining.waitForExit();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.match(new RegExp(WARNING.source, 'gm'))).toHaveLength(1);
    expect(`${result.stdout}${result.stderr}`).not.toContain(pin);

    // A command-line usage error stays one error line: the warning comes after every check.
    const noDaemon = await spawnBin(PALYRA_NODE, ['join', '--pin', pin, '--state-dir', await nodeDir()]).waitForExit();
    expectErrorLine(noDaemon, 'PALYRA_E_USAGE', 64);
  });

  it('in a terminal with no code given, asks at a prompt that echoes nothing; then pairs', async () => {
    const d = running();
    const pin = await d.mintPin();
    const base = await dirs.make('palyra-e2e-code-input-tty-');
    const dir = join(base, 'state');
    const pane = await TmuxPane.start(
      // The key file keeps the vault from asking for a passphrase on the terminal.
      ['env', 'PALYRA_VAULT=file', `PALYRA_VAULT_KEY_FILE=${join(base, 'vault.key')}`, process.execPath, PALYRA_NODE, 'join',
        '--daemon', d.ready.grpc, '--state-dir', dir, '--name', 'tty-node'],
      join(base, 'join.status'),
    );
    await pane.waitForScreen((screen) => screen.includes('pairing code (6-digit PIN or palyra://pair URI):'), 'the prompt');
    await pane.sendKeys('-l', pin);
    await pane.sendKeys('Enter');
    const screen = await pane.waitForScreen((s) => s.includes('waiting for approval'), 'the join to wait for approval');
    expect(screen, 'the typed PIN must not be echoed').not.toContain(pin);
    expect(await visibleCommandLine(await pane.programPid())).not.toContain(pin);
    await approve(d, 'tty-node');
    expect(await pane.waitForExitStatus(), await pane.capture()).toBe(0);
    expect(await pane.capture()).not.toContain(pin);
    await expectJoined(dir);
  });

  it('Ctrl-C at the prompt aborts the join (PALYRA_E_CANCELLED) without showing what was typed', async () => {
    const base = await dirs.make('palyra-e2e-code-input-ctrlc-');
    const dir = join(base, 'state');
    const pane = await TmuxPane.start(
      [process.execPath, PALYRA_NODE, 'join', '--daemon', running().ready.grpc, '--state-dir', dir],
      join(base, 'join.status'),
    );
    await pane.waitForScreen((screen) => screen.includes('pairing code (6-digit PIN'), 'the prompt');
    await pane.sendKeys('-l', '9876');
    await pane.sendKeys('C-c');
    expect(await pane.waitForExitStatus()).toBe(130);
    const screen = await pane.capture();
    expect(screen).toContain('error PALYRA_E_CANCELLED');
    expect(screen).not.toContain('9876');
  });
});
