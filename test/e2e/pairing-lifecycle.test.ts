/**
 * The operator's and the node's whole journey, with real palyrad and palyra-node processes:
 * mint a PIN, join, compare the SAS, approve, run, observe, remove. One daemon serves the
 * file; each test pairs its own nodes and compares counts against a baseline, so the tests
 * do not depend on each other.
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import {
  nodeCli, pairNode, spawnJoin, spawnRun, startNode, stateDatabase, type DaemonStatusJson, type NodeRow, type PairingCodeJson, type PendingRow
} from '../helpers/daemonHarness.js';
import { useSharedDaemon } from '../helpers/sharedDaemon.js';
import { E2E_TEST_TIMEOUT_MS } from '../helpers/processes.js';

// umask 000: every private file must get its mode from the daemon, not from the umask.
const { dirs, running } = useSharedDaemon('palyra-e2e-lifecycle-', { umask: 0o000 });

/** A state dir the program itself must create (mkdtemp's own 0700 would hide a missing mode). */
async function freshStateDir(prefix: string): Promise<string> {
  return join(await dirs.make(prefix), 'state');
}

async function mode(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o777).toString(8);
}

/** The modes of the regular files in `dir` (octal strings by name), but those `skip` names. */
async function privateFileModes(dir: string, skip: (name: string) => boolean): Promise<Record<string, string>> {
  const modes: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile() && !skip(entry.name)) modes[entry.name] = await mode(join(dir, entry.name));
  }
  return modes;
}

async function daemonStatus(): Promise<DaemonStatusJson> {
  return parseOneJson<DaemonStatusJson>(await running().cli('status', '--json'));
}

async function listNodes(): Promise<NodeRow[]> {
  return parseOneJson<NodeRow[]>(await running().cli('nodes', 'list', '--json'));
}

describe('pairing lifecycle (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('mints a PIN, joins with a matching SAS, approves, runs, lists, and revokes on remove', async () => {
    const d = running();
    const nodeDir = await freshStateDir('palyra-e2e-node-');
    const before = await daemonStatus();
    expect(before).toMatchObject({ running: true, grpc: d.ready.grpc, caFingerprint: d.ready.ca, pid: d.ready.pid });

    // 1. The operator mints a PIN.
    const code = parseOneJson<PairingCodeJson>(await d.cli('pairing', 'code', '--method', 'pin', '--json'));
    expect(code).toMatchObject({ method: 'pin', daemon: d.ready.grpc, caFingerprint: d.ready.ca });
    expect(code.code).toMatch(/^\d{6}$/);
    expect(code.caFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(Number.isNaN(Date.parse(code.expiresAt))).toBe(false);
    expect(Date.parse(code.expiresAt)).toBeGreaterThan(Date.now());

    // 2. The node joins and shows the confirmation code.
    const joining = spawnJoin(nodeDir, d, code.code, ['--name', 'e2e-laptop']);
    const [, sas, requestId] = await joining.waitFor(/^confirmation code ([0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}) \(request (\S+)\)$/m);
    await joining.waitFor(/^waiting for approval$/m);

    // 3. The operator sees the same SAS in the queue; the node waits.
    const pending = parseOneJson<PendingRow[]>(await d.cli('nodes', 'pending', '--json'));
    const request = pending.find((r) => r.requestId === requestId);
    expect(request, JSON.stringify(pending)).toBeDefined();
    expect(request).toMatchObject({ sas, name: 'e2e-laptop', platform: `${process.platform}-${process.arch}`, repair: false });
    expect(request?.deviceId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const deviceId = request?.deviceId ?? '';
    expect((await daemonStatus()).nodes.pending).toBe(before.nodes.pending + 1);
    expect(joining.running).toBe(true);

    // 4. Approval: the join completes and the identity is stored.
    const approved = await d.cli('nodes', 'approve', requestId ?? '');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`approved e2e-laptop (device ${deviceId}`);
    const joined = await joining.waitForExit();
    expect(joined.code, joined.stderr).toBe(0);
    expect(joined.stdout).toContain(`approved: joined ${d.ready.grpc} as ${deviceId}`);

    const nodeStatus = parseOneJson<Record<string, unknown>>(await nodeCli(nodeDir, 'status', '--json'));
    expect(nodeStatus).toMatchObject({ joined: true, deviceId, name: 'e2e-laptop', daemon: d.ready.grpc, caFingerprint: d.ready.ca });
    expect(Date.parse(String(nodeStatus.certExpiresAt))).toBeGreaterThan(Date.now());

    // 5. The agent runs and the daemon lists it online.
    const agent = await startNode(nodeDir);
    expect(agent.stdout).toMatch(new RegExp(`^palyra-node ready device=${deviceId}$`, 'm'));
    const online = (await listNodes()).find((n) => n.deviceId === deviceId);
    expect(online).toMatchObject({ name: 'e2e-laptop', status: 'online', certExpiresAt: nodeStatus.certExpiresAt });
    expect(online?.certFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(online?.lastSeen).not.toBeNull();
    expect((await daemonStatus()).nodes).toEqual({
      online: before.nodes.online + 1,
      offline: before.nodes.offline,
      pending: before.nodes.pending,
    });

    // 6. Removal revokes: the live agent is cut off for good, a new run is refused.
    const removed = await d.cli('nodes', 'remove', deviceId);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(`revoked`);
    const cutOff = await agent.waitForExit();
    expectErrorLine(cutOff, 'PALYRA_E_PERMISSION_DENIED', 77, { logs: true });

    const refused = await spawnRun(nodeDir).waitForExit();
    expectErrorLine(refused, 'PALYRA_E_PERMISSION_DENIED', 77, { logs: true });
    expect(refused.stdout).not.toContain('palyra-node ready');

    expect((await listNodes()).map((n) => n.deviceId)).not.toContain(deviceId);
    expect((await daemonStatus()).nodes).toEqual(before.nodes);
  });

  it('approves a request by device id, and refuses to decide it twice', async () => {
    const d = running();
    const nodeDir = await freshStateDir('palyra-e2e-node-');
    const pin = await d.mintPin();
    const joining = spawnJoin(nodeDir, d, pin, ['--name', 'by-device-id']);
    const [, requestId] = await joining.waitFor(/\(request (\S+)\)\nwaiting for approval$/m);
    const request = parseOneJson<PendingRow[]>(await d.cli('nodes', 'pending', '--json')).find((r) => r.requestId === requestId);
    const deviceId = request?.deviceId ?? 'missing';

    const approved = await d.cli('nodes', 'approve', deviceId);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`request ${requestId}`);
    const joined = await joining.waitForExit();
    expect(joined.code, joined.stderr).toBe(0);
    expect(parseOneJson(await nodeCli(nodeDir, 'status', '--json'))).toMatchObject({ joined: true, deviceId });

    // Paired but never run: listed offline, never seen.
    expect((await listNodes()).find((n) => n.deviceId === deviceId)).toMatchObject({ status: 'offline', lastSeen: null });

    const decidedAgain = await Promise.all([
      d.cli('nodes', 'approve', requestId ?? ''),
      d.cli('nodes', 'approve', deviceId),
      d.cli('nodes', 'reject', deviceId),
      d.cli('nodes', 'approve', '01ARZ3NDEKTSV4RRFFQ69G5FAV'),
    ]);
    for (const result of decidedAgain) expectErrorLine(result, 'PALYRA_E_REQUEST_NOT_FOUND', 68);
  });

  it('keeps the daemon state and the node identity private, whatever the umask', async () => {
    const d = running();
    const nodeDir = await freshStateDir('palyra-e2e-node-');
    await pairNode(d, nodeDir, 'private-files', { umask: 0o000 });

    // Both programs created their state dirs under umask 000.
    expect(await mode(d.stateDir)).toBe('700');
    expect(await mode(nodeDir)).toBe('700');

    const socket = await lstat(d.ready.admin);
    expect(socket.isSocket()).toBe(true);
    expect((socket.mode & 0o777).toString(8)).toBe('600');
    expect(await mode(stateDatabase(d.stateDir))).toBe('600');

    // Every file but the public certificates is private: the keys (plain key files, or the
    // vault and its key file), the registry, the lock; on the node, everything.
    const daemonFiles = await privateFileModes(d.stateDir, (name) => name.endsWith('.crt'));
    expect(daemonFiles, 'the daemon keeps its private keys somewhere').toSatisfy(
      (files: Record<string, string>) => ('ca.key' in files && 'server.key' in files) || 'vault.v1.enc' in files,
    );
    for (const [name, fileMode] of Object.entries(daemonFiles)) expect(fileMode, `${d.stateDir}/${name}`).toBe('600');

    const nodeFiles = await privateFileModes(nodeDir, () => false);
    expect(nodeFiles, 'the node keeps its identity somewhere').toSatisfy(
      (files: Record<string, string>) => 'identity.v1.json' in files || 'vault.v1.enc' in files,
    );
    for (const [name, fileMode] of Object.entries(nodeFiles)) expect(fileMode, `${nodeDir}/${name}`).toBe('600');
  });
});
