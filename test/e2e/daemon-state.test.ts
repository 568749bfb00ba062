/**
 * The daemon's state across process lifetimes, with real processes: restarts keep the CA and
 * the registry, a crash leaves nothing that blocks the next start, a corrupt or foreign state
 * database stops the start without being touched, and one state dir has one daemon. Each test
 * owns its daemons (they are stopped and restarted).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import {
  daemonCli,
  DaemonProcess,
  pairNode,
  spawnJoin,
  startNode,
  stateDatabase,
  type DaemonStatusJson,
  type NodeRow,
  type PairingCodeJson,
  type PendingRow,
} from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRAD, pollUntil, spawnBin, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();

async function freshStateDir(prefix: string): Promise<string> {
  return join(await dirs.make(prefix), 'state');
}

/**
 * `palyrad start` that is expected to fail: waits for it to exit (a hang fails the test).
 * Like any long-running command it may log to stderr before its one error line.
 */
async function startExpectingFailure(stateDir: string) {
  return spawnBin(PALYRAD, ['start', '--state-dir', stateDir, '--listen', '127.0.0.1:0']).waitForExit();
}

async function listNodes(stateDir: string): Promise<NodeRow[]> {
  return parseOneJson<NodeRow[]>(await daemonCli(stateDir, 'nodes', 'list', '--json'));
}

afterEach(async () => {
  await stopProcesses();
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('daemon state (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('keeps its CA and registry across a restart on the same port; nodes come back', async () => {
    const stateDir = await freshStateDir('palyra-e2e-restart-');
    const nodeDir = await freshStateDir('palyra-e2e-node-');
    const first = await DaemonProcess.start(stateDir);
    const deviceId = await pairNode(first, nodeDir, 'survivor');
    const agent = await startNode(nodeDir);
    const cert = (await listNodes(stateDir)).find((n) => n.deviceId === deviceId)?.certFingerprint;
    expect(cert).toMatch(/^[0-9a-f]{64}$/);

    // Stop the agent, then the daemon cleanly.
    await agent.stop();
    expect((await first.stop()).code).toBe(0);
    expect(existsSync(join(stateDir, 'admin.sock'))).toBe(false);

    const second = await DaemonProcess.start(stateDir, ['--listen', `127.0.0.1:${first.port}`]);
    expect(second.ready.ca).toBe(first.ready.ca);
    expect(second.ready.grpc).toBe(first.ready.grpc);
    expect(parseOneJson<PairingCodeJson>(await second.cli('pairing', 'code', '--json')).caFingerprint).toBe(first.ready.ca);
    const listed = (await listNodes(stateDir)).find((n) => n.deviceId === deviceId);
    expect(listed).toMatchObject({ name: 'survivor', status: 'offline', certFingerprint: cert });
    expect(Number.isNaN(Date.parse(listed?.lastSeen ?? ''))).toBe(false);

    // The node's stored address still reaches the restarted daemon, with the same identity.
    const again = await startNode(nodeDir);
    expect(again.stdout).toContain(`palyra-node ready device=${deviceId}`);
    expect((await listNodes(stateDir)).find((n) => n.deviceId === deviceId)?.status).toBe('online');

    // An agent that runs through a restart reconnects by itself.
    expect((await second.stop()).code).toBe(0);
    await again.waitFor(/error PALYRA_E_DAEMON_UNREACHABLE: .*\(retrying in/, undefined, 'stderr');
    const third = await DaemonProcess.start(stateDir, ['--listen', `127.0.0.1:${first.port}`]);
    expect(third.ready.ca).toBe(first.ready.ca);
    await again.waitFor(/(palyra-node ready device=\S+\n[^]*){2}/, 90_000);
    await pollUntil(
      async () => ((await listNodes(stateDir)).find((n) => n.deviceId === deviceId)?.status === 'online' ? true : undefined),
      { what: 'the reconnected node to be listed online' },
    );
    expect(again.running).toBe(true);
  });

  it('starts again after a crash (SIGKILL): stale lock and socket are taken over, orphaned requests withdrawn', async () => {
    const stateDir = await freshStateDir('palyra-e2e-crash-');
    const first = await DaemonProcess.start(stateDir);
    const joining = spawnJoin(await freshStateDir('palyra-e2e-node-'), first, await first.mintPin(), ['--name', 'orphan']);
    const [, requestId] = await joining.waitFor(/\(request (\S+)\)\nwaiting for approval$/m);

    first.process.signal('SIGKILL');
    await first.process.exited;
    expect(existsSync(join(stateDir, 'daemon.lock'))).toBe(true);
    expect(existsSync(first.ready.admin)).toBe(true);
    expectErrorLine(await joining.waitForExit(), 'PALYRA_E_DAEMON_UNREACHABLE', 69);

    // A dead daemon's socket is no daemon.
    expectErrorLine(await daemonCli(stateDir, 'status'), 'PALYRA_E_DAEMON_UNREACHABLE', 69);

    const second = await DaemonProcess.start(stateDir);
    expect(second.ready.ca).toBe(first.ready.ca);
    expect(parseOneJson<DaemonStatusJson>(await second.cli('status', '--json')).pid).toBe(second.ready.pid);
    // The join that made the request died with the old daemon: nothing to approve.
    expect(parseOneJson<PendingRow[]>(await second.cli('nodes', 'pending', '--json'))).toEqual([]);
    expectErrorLine(await second.cli('nodes', 'approve', requestId ?? ''), 'PALYRA_E_REQUEST_NOT_FOUND', 68);
  });

  it('refuses a corrupt state database or one of a newer schema, and never modifies it', async () => {
    const stateDir = await freshStateDir('palyra-e2e-corrupt-');
    const daemon = await DaemonProcess.start(stateDir);
    await daemon.mintPin(); // writes the state database
    expect((await daemon.stop()).code).toBe(0);
    const file = stateDatabase(stateDir);
    // The daemon's last close checkpointed the WAL into the file: it holds everything.
    const original = await readFile(file);

    const garbage = Buffer.from('{"version":1,"nodes":[{"deviceId": \u0000\xff garbage', 'latin1');
    await writeFile(file, garbage);
    const corrupt = await startExpectingFailure(stateDir);
    const corruptMessage = expectErrorLine(corrupt, 'PALYRA_E_STATE_CORRUPT', 78, { logs: true });
    expect(corruptMessage).toContain(file);
    expect(corrupt.stdout).not.toContain('ready');
    expect(await readFile(file)).toEqual(garbage);
    // The failed start released the lock and left no socket behind.
    expect(existsSync(join(stateDir, 'daemon.lock'))).toBe(false);
    expect(existsSync(join(stateDir, 'admin.sock'))).toBe(false);

    // A database a newer palyrad migrated further.
    await writeFile(file, original);
    const newer = new Database(file);
    newer.prepare('INSERT INTO palyra_schema (version, name, applied_at) VALUES (?, ?, ?)').run(99, 'from the future', new Date().toISOString());
    newer.close();
    const future = await readFile(file);
    const versioned = await startExpectingFailure(stateDir);
    const versionMessage = expectErrorLine(versioned, 'PALYRA_E_STATE_VERSION', 78, { logs: true });
    expect(versionMessage).toContain(file);
    expect(versionMessage).toMatch(/schema version 99/);
    expect(await readFile(file)).toEqual(future);

    // Restoring the file is all it takes.
    await writeFile(file, original);
    const restored = await DaemonProcess.start(stateDir);
    expect(restored.ready.ca).toBe(daemon.ready.ca);
  });
  it('allows one daemon per state dir, prints the ready line, and stops cleanly on SIGINT', async () => {
    const stateDir = await freshStateDir('palyra-e2e-lock-');
    const daemon = spawnBin(PALYRAD, ['start', '--state-dir', stateDir, '--listen', '127.0.0.1:0']);
    const [, grpc, admin, ca] = await daemon.waitFor(
      /^palyrad ready grpc=(127\.0\.0\.1:\d+) quic=\S+ admin=(\S+) ca=([0-9a-f]{64})\n$/,
      90_000,
    );
    expect(admin).toBe(join(stateDir, 'admin.sock'));

    const second = await startExpectingFailure(stateDir);
    const message = expectErrorLine(second, 'PALYRA_E_DAEMON_RUNNING', 75, { logs: true });
    expect(message).toContain(`pid ${daemon.pid}`);
    expect(message).toContain(stateDir);

    // The first daemon did not notice.
    expect(daemon.running).toBe(true);
    const status = parseOneJson<DaemonStatusJson>(await daemonCli(stateDir, 'status', '--json'));
    expect(status).toMatchObject({ pid: daemon.pid, grpc, caFingerprint: ca, admin });

    daemon.signal('SIGINT');
    const stopped = await daemon.waitForExit();
    expect(stopped.code, stopped.stderr).toBe(0);
    // It may log while it runs; a clean stop reports no error.
    expect(stopped.stderr).not.toMatch(/^error /m);
    expect(existsSync(join(stateDir, 'daemon.lock'))).toBe(false);
    expect(existsSync(join(stateDir, 'admin.sock'))).toBe(false);
    expectErrorLine(await daemonCli(stateDir, 'status'), 'PALYRA_E_DAEMON_UNREACHABLE', 69);
  });
});
