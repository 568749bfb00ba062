/**
 * `palyrad pairing code` prints the one command a remote host runs (install palyra-node when
 * missing, then join) and `--json` carries it as `joinCommand`. The command is run for real
 * by /bin/sh against a real daemon: with palyra-node on PATH it joins at once; without it, the
 * install step runs first (an `npm` on PATH that records its arguments and puts palyra-node in
 * place: the registry has no published @palyra/agent to install here; the release test
 * installs the real tarballs) and the join follows. The code travels in PALYRA_PAIRING_CODE,
 * never in argv.
 */
import { spawn } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, nodeCli, type PairingCodeJson, type PendingRow } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRA_NODE, PALYRAD, RunningProcess, runBin, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();
let daemon: DaemonProcess | undefined;

afterEach(() => stopProcesses([daemon?.process]), E2E_HOOK_TIMEOUT_MS);
afterAll(async () => {
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

const version = (JSON.parse(await readFile(new URL('../../daemon/package.json', import.meta.url), 'utf8')) as { version: string }).version;

async function theDaemon(): Promise<DaemonProcess> {
  daemon ??= await DaemonProcess.start(join(await dirs.make('palyra-join-cmd-daemon-'), 'state'));
  return daemon;
}

/** A `palyra-node` on PATH that runs this checkout's agent, as npm's bin link would. */
const agentLink = (): string => `#!/bin/sh\nexec '${process.execPath}' '${PALYRA_NODE}' "$@"\n`;

/** Runs the printed command in /bin/sh as the remote host would, with a PATH of our choosing. */
function runJoinCommand(command: string, binDir: string, nodeStateDir: string): RunningProcess {
  const child = spawn('/bin/sh', ['-c', command], {
    cwd: binDir,
    env: { PATH: `${binDir}:/usr/local/bin:/usr/bin:/bin`, HOME: binDir, PALYRA_STATE_DIR: nodeStateDir, PALYRA_VAULT: 'file' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new RunningProcess(child, 'join command');
}

/** Approves the request the running join made and waits for the join to succeed. */
async function approve(d: DaemonProcess, joining: RunningProcess): Promise<void> {
  const [, requestId] = await joining.waitFor(/\(request (\S+?)[,)]/);
  await joining.waitFor(/waiting for approval/);
  const pending = await d.json<PendingRow[]>('nodes', 'pending');
  expect(pending.map((r) => r.requestId)).toContain(requestId);
  const approved = await d.cli('nodes', 'approve', requestId ?? '');
  expect(approved.code, approved.stderr).toBe(0);
  const result = await joining.waitForExit();
  expect(result.code, result.stderr).toBe(0);
  // The code was never on a command line, so join has nothing to warn about.
  expect(result.stderr).not.toContain('on the command line');
}

describe('palyrad pairing code: the join command for the remote host', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('prints it beside the PIN and carries it in --json; run by sh, it joins with palyra-node on PATH', async () => {
    const d = await theDaemon();
    const text = await d.cli('pairing', 'code', '--method', 'pin');
    expect(text.code, text.stderr).toBe(0);
    const pin = /^PIN (\d{6}) /m.exec(text.stdout)?.[1];
    expect(text.stdout).toContain(
      `on the node (installs palyra-node when missing, then joins):\n  command -v palyra-node >/dev/null 2>&1 || npm install -g @palyra/agent@${version} && PALYRA_PAIRING_CODE=${pin} palyra-node join --daemon ${d.ready.grpc}\n`,
    );

    // This daemon listens on 127.0.0.1 only: a remote host would dial itself.
    expect(text.stderr).toContain(`warning: the join command dials ${d.ready.grpc}, a loopback address a remote host cannot reach: give the address nodes reach this daemon at with --address HOST:PORT`);
    const elsewhere = await d.cli('pairing', 'code', '--method', 'pin', '--address', 'palyra.example.net:7443');
    expect(elsewhere.stderr).not.toContain('warning');
    const wildcard = await d.cli('pairing', 'code', '--method', 'pin', '--address', '0.0.0.0:7443');
    expect(wildcard.stderr).toContain('warning: the join command dials 0.0.0.0:7443, a wildcard address a remote host cannot reach');

    const code = parseOneJson<PairingCodeJson & { joinCommand: string }>(await d.cli('pairing', 'code', '--method', 'pin', '--json'));
    expect(code.joinCommand).toBe(`command -v palyra-node >/dev/null 2>&1 || npm install -g @palyra/agent@${version} && PALYRA_PAIRING_CODE=${code.code} palyra-node join --daemon ${code.daemon}`);
    expect(code.daemon).toBe(d.ready.grpc);

    const bin = await dirs.make('palyra-join-cmd-bin-');
    await writeFile(join(bin, 'palyra-node'), agentLink());
    const npmCalls = join(bin, 'npm.calls');
    await writeFile(join(bin, 'npm'), `#!/bin/sh\necho "$*" >> '${npmCalls}'\nexit 1\n`);
    await Promise.all([chmod(join(bin, 'palyra-node'), 0o755), chmod(join(bin, 'npm'), 0o755)]);
    const nodeState = join(bin, 'node-state');
    await approve(d, runJoinCommand(code.joinCommand, bin, nodeState));
    await expect(readFile(npmCalls, 'utf8')).rejects.toThrow(/ENOENT/);
    const status = parseOneJson<{ deviceId: string | null }>(await nodeCli(nodeState, 'status', '--json'));
    expect(status.deviceId).toMatch(/^[0-9A-Z]{26}$/);
  });

  it('a QR code: installs palyra-node first when it is missing, then joins; --address and --agent-package reach the command', async () => {
    const d = await theDaemon();
    const code = parseOneJson<PairingCodeJson & { joinCommand: string }>(
      await d.cli('pairing', 'code', '--method', 'qr', '--json', '--address', d.ready.grpc, '--agent-package', 'palyra-agent-9.9.9.tgz'),
    );
    expect(code.joinCommand).toBe(`command -v palyra-node >/dev/null 2>&1 || npm install -g palyra-agent-9.9.9.tgz && PALYRA_PAIRING_CODE='${code.uri}' palyra-node join --daemon ${d.ready.grpc}`);

    const bin = await dirs.make('palyra-join-cmd-install-');
    const npmCalls = join(bin, 'npm.calls');
    // What npm install -g leaves behind: palyra-node on PATH.
    await writeFile(join(bin, 'npm'), `#!/bin/sh\necho "$*" >> '${npmCalls}'\ncat > '${join(bin, 'palyra-node')}' <<'LINK'\n${agentLink()}LINK\nchmod 755 '${join(bin, 'palyra-node')}'\n`);
    await chmod(join(bin, 'npm'), 0o755);
    await approve(d, runJoinCommand(code.joinCommand, bin, join(bin, 'node-state')));
    expect(await readFile(npmCalls, 'utf8')).toBe('install -g palyra-agent-9.9.9.tgz\n');
  });

  it('a bad --agent-package is PALYRA_E_USAGE before any code is minted: the unused PIN a node holds stays valid', async () => {
    const d = await theDaemon();
    const code = parseOneJson<PairingCodeJson & { joinCommand: string }>(await d.cli('pairing', 'code', '--method', 'pin', '--json'));
    // Not printable ASCII; an option npm would obey instead of a package to install.
    for (const spec of ['agent\u00e9', '--registry=http://mirror.invalid/']) {
      const refused = await d.cli('pairing', 'code', '--method', 'pin', `--agent-package=${spec}`);
      expect(refused.code, refused.stderr).toBe(64);
      expect(refused.stderr).toMatch(/^error PALYRA_E_USAGE: --agent-package /);
      const fromEnv = await runBin(PALYRAD, ['pairing', 'code', '--state-dir', d.stateDir], { PALYRA_AGENT_PACKAGE: spec });
      expect(fromEnv.code, fromEnv.stderr).toBe(64);
      expect(fromEnv.stderr).toMatch(/^error PALYRA_E_USAGE: PALYRA_AGENT_PACKAGE /);
    }
    // Had a refused call minted a PIN, this one would have been replaced by it.
    const bin = await dirs.make('palyra-join-cmd-kept-');
    await writeFile(join(bin, 'palyra-node'), agentLink());
    await chmod(join(bin, 'palyra-node'), 0o755);
    await approve(d, runJoinCommand(code.joinCommand, bin, join(bin, 'node-state')));
  });

  it('refuses a malformed --address with PALYRA_E_USAGE; PALYRA_JOIN_ADDRESS sets the address too', async () => {
    const d = await theDaemon();
    const result = await d.cli('pairing', 'code', '--address', 'no-port');
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/^error PALYRA_E_USAGE: --address "no-port" is not HOST:PORT/);
    const fromEnv = await runBin(PALYRAD, ['pairing', 'code', '--json', '--state-dir', d.stateDir], { PALYRA_JOIN_ADDRESS: 'nodes-see-me.example:7443' });
    expect(parseOneJson<{ joinCommand: string }>(fromEnv).joinCommand).toMatch(/ palyra-node join --daemon nodes-see-me\.example:7443$/);
  });
});
