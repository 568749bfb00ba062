/**
 * The command-line contract of both binaries (../shared/design/CLI.md), with real processes:
 * no daemon means a fast PALYRA_E_DAEMON_UNREACHABLE (exit 69), usage errors are one
 * `error PALYRA_E_USAGE: ...` line, and every `--json` prints exactly one JSON document.
 */
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import {
  daemonCli,
  DaemonProcess,
  nodeCli,
  spawnJoin,
  startNode,
  type DaemonStatusJson,
  type NodeRow,
  type PairingCodeJson,
  type PendingRow,
} from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRA_NODE, PALYRAD, runBin, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();

async function freshStateDir(prefix: string): Promise<string> {
  return join(await dirs.make(prefix), 'state');
}

afterEach(async () => {
  await stopProcesses();
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('CLI contract (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('fails with PALYRA_E_DAEMON_UNREACHABLE (exit 69) when no daemon runs', async () => {
    const stateDir = await freshStateDir('palyra-e2e-nodaemon-');
    const commands = [
      ['status'],
      // status --json also prints {"running": false}: test/e2e/status-running.test.ts
      ['nodes', 'list'],
      ['nodes', 'list', '--json'],
      ['nodes', 'pending', '--json'],
      ['pairing', 'code', '--method', 'pin'],
      ['nodes', 'approve', '01ARZ3NDEKTSV4RRFFQ69G5FAV'],
      ['nodes', 'remove', '01ARZ3NDEKTSV4RRFFQ69G5FAV'],
      ['nodes', 'renew', '--all'],
      ['ca', 'status', '--json'],
      ['ca', 'rotate'],
      ['ca', 'finish', '--force'],
    ];
    const results = await Promise.all(commands.map((args) => daemonCli(stateDir, ...args)));
    results.forEach((result, i) => {
      const message = expectErrorLine(result, 'PALYRA_E_DAEMON_UNREACHABLE', 69);
      expect(message, commands[i]?.join(' ')).toContain('palyrad start');
      expect(result.stdout, commands[i]?.join(' ')).toBe('');
    });
  });

  it('reports usage errors as one PALYRA_E_USAGE line and a non-zero exit', async () => {
    const nodeDir = await freshStateDir('palyra-e2e-usage-');
    const daemonDir = await freshStateDir('palyra-e2e-usage-daemon-');
    const cases: Array<[bin: string, args: string[]]> = [
      [PALYRAD, ['pairing', 'code', '--method', 'foo']],
      [PALYRAD, ['pairing', 'code', '--ttl', 'soon']],
      [PALYRAD, ['nodes', 'approve']],
      [PALYRAD, ['nodes', 'list', '--bogus']],
      [PALYRAD, ['nodes', 'renew']],
      [PALYRAD, ['nodes', 'renew', '01ARZ3NDEKTSV4RRFFQ69G5FAV', '--all']],
      [PALYRAD, ['frobnicate']],
      [PALYRAD, ['start', '--listen', 'not-an-address', '--state-dir', daemonDir]],
      [PALYRAD, ['start', '--cert-validity', '30s', '--state-dir', daemonDir]],
      [PALYRAD, ['start', '--cert-validity', '400d', '--state-dir', daemonDir]],
      [PALYRAD, ['start', '--renewal-grace', 'later', '--state-dir', daemonDir]],
      [PALYRA_NODE, ['join', '--state-dir', nodeDir]],
      [PALYRA_NODE, ['join', '--pin', '12ab56', '--daemon', '127.0.0.1:1', '--state-dir', nodeDir]],
      [PALYRA_NODE, ['join', '--pin', '123456', '--state-dir', nodeDir]],
      [PALYRA_NODE, ['frobnicate']],
    ];
    const results = await Promise.all(cases.map(([bin, args]) => runBin(bin, args)));
    results.forEach((result, i) => {
      const [bin, args] = cases[i] ?? ['', []];
      const what = `${bin === PALYRAD ? 'palyrad' : 'palyra-node'} ${args.join(' ')}`;
      expect(result.code, what).not.toBe(0);
      expect(result.stdout, what).toBe('');
      expect(result.stderr, what).toMatch(/^error PALYRA_E_USAGE: [^\n]+\n$/);
      expectErrorLine(result, 'PALYRA_E_USAGE', 64);
    });
    // A usage error stores nothing.
    expect(parseOneJson(await nodeCli(nodeDir, 'status', '--json'))).toMatchObject({ joined: false });
  });

  it('prints exactly one JSON document for every --json command', async () => {
    const daemon = await DaemonProcess.start(await freshStateDir('palyra-e2e-json-'));
    const nodeDir = await freshStateDir('palyra-e2e-node-');

    const [nodeStatus, status, list, pendingBefore, minted] = await Promise.all([
      nodeCli(nodeDir, 'status', '--json'),
      daemon.cli('status', '--json'),
      daemon.cli('nodes', 'list', '--json'),
      daemon.cli('nodes', 'pending', '--json'),
      daemon.cli('nodes', 'pairing-code', '--method', 'pin', '--ttl', '2m', '--json'),
    ]);
    expect(parseOneJson(nodeStatus)).toMatchObject({ joined: false });
    expect(parseOneJson<DaemonStatusJson>(status).nodes).toEqual({ online: 0, offline: 0, pending: 0 });
    expect(parseOneJson<DaemonStatusJson>(status).certificates).toEqual({ valid: 0, renewing: 0, expiring: 0, expired: 0, in_grace: 0 });
    expect(parseOneJson<DaemonStatusJson>(status).serverCertificate.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(parseOneJson(list)).toEqual([]);
    expect(parseOneJson(pendingBefore)).toEqual([]);
    const code = parseOneJson<PairingCodeJson>(minted);
    expect(code.code).toMatch(/^\d{6}$/);

    // join --json: the SAS and the wait go to stderr, the result alone to stdout.
    const joining = spawnJoin(nodeDir, daemon, code.code, ['--name', 'json-node', '--json']);
    const [, sas] = await joining.waitFor(/^confirmation code (\S+) \(request \S+\)\nwaiting for approval$/m, undefined, 'stderr');
    expect(joining.stdout).toBe('');
    const pending = parseOneJson<PendingRow[]>(await daemon.cli('nodes', 'pending', '--json'));
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ name: 'json-node', sas });
    const deviceId = pending[0]?.deviceId ?? '';

    const decided = parseOneJson(await daemon.cli('nodes', 'approve', deviceId, '--json'));
    expect(decided).toMatchObject({ deviceId, name: 'json-node', state: 'approved' });
    const joined = parseOneJson(await joining.waitForExit());
    expect(joined).toMatchObject({ deviceId, name: 'json-node', daemon: daemon.ready.grpc, caFingerprint: daemon.ready.ca });

    expect(parseOneJson(await nodeCli(nodeDir, 'status', '--json'))).toMatchObject({ joined: true, deviceId });
    const rejoin = await spawnJoin(nodeDir, daemon, code.code).waitForExit();
    expect(expectErrorLine(rejoin, 'PALYRA_E_ALREADY_JOINED', 75)).toContain('palyra-node leave');
    // Not running yet: listed as offline, nobody is asked (a running agent renewing: test/e2e/nodes-renew.test.ts).
    expect(parseOneJson(await daemon.cli('nodes', 'renew', '--all', '--json'))).toEqual({ asked: [], offline: [{ deviceId, name: 'json-node' }] });
    await startNode(nodeDir);
    const nodes = parseOneJson<NodeRow[]>(await daemon.cli('nodes', 'list', '--json'));
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ deviceId, status: 'online', capabilities: expect.any(Array), labels: {}, certState: 'valid', certRenewedAt: null });
    const statusOnline = parseOneJson<DaemonStatusJson>(await daemon.cli('status', '--json'));
    expect(statusOnline.nodes).toEqual({ online: 1, offline: 0, pending: 0 });
    expect(statusOnline.certificates).toMatchObject({ valid: 1 });
    expect((await daemon.cli('nodes', 'list')).stdout).toMatch(/ cert valid until \S+/);

    const removed = parseOneJson(await daemon.cli('nodes', 'remove', deviceId, '--json'));
    expect(removed).toMatchObject({ deviceId, name: 'json-node', revokedFingerprint: nodes[0]?.certFingerprint });
    expectErrorLine(await daemon.cli('nodes', 'remove', deviceId), 'PALYRA_E_NODE_NOT_FOUND', 68);
    expect(parseOneJson(await nodeCli(nodeDir, 'leave', '--json'))).toEqual({ removed: true, deviceId });
    expect(parseOneJson(await nodeCli(nodeDir, 'status', '--json'))).toMatchObject({ joined: false });
    expectErrorLine(await nodeCli(nodeDir, 'run'), 'PALYRA_E_NOT_JOINED', 78);
  });
});
