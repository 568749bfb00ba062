/**
 * Issue 14, fault test through the built binaries: kill -9 of a daemon with `--auto-approve
 * all` in the middle of a burst of pairings (`palyra-node join --qr -` processes, concurrent)
 * and removals (`palyrad nodes remove` of nodes paired earlier). After a restart on the same
 * state dir and address: the database passes quick_check, no request is left pending, every
 * removal that returned success stays removed and its node is refused, every node listed as
 * paired connects with the certificate its join stored, and a new pairing works.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, spawnRun, startNode, stateDatabase, storedRecords, type NodeRow, type PairingCodeJson, type PendingRow } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRA_NODE, spawnBin, stopProcesses, TempDirs, type CommandResult, type RunningProcess } from '../helpers/processes.js';

/** Paired before the burst; removed during it. */
const EARLIER = 6;
/** Joining during the burst. */
const JOINING = 8;
/** Removals that returned success before the kill: the middle of the burst. */
const REMOVED_AT_KILL = 3;

const dirs = new TempDirs();
afterEach(() => stopProcesses(), E2E_HOOK_TIMEOUT_MS);
afterAll(() => dirs.cleanup(), E2E_HOOK_TIMEOUT_MS);

/** A fresh QR pairing code's URI. */
async function mintQr(daemon: DaemonProcess): Promise<string> {
  return parseOneJson<PairingCodeJson>(await daemon.cli('pairing', 'code', '--method', 'qr', '--json')).uri ?? '';
}

/** `palyra-node join --qr -`: auto-approved, no operator. */
function spawnQrJoin(daemon: DaemonProcess, uri: string, nodeDir: string, name: string): RunningProcess {
  return spawnBin(PALYRA_NODE, ['join', '--qr', '-', '--daemon', daemon.ready.grpc, '--state-dir', nodeDir, '--name', name], {}, { stdin: `${uri}\n` });
}

/** The device id a successful join printed. */
function joinedAs(result: CommandResult): string {
  const [, deviceId] = /^approved: joined \S+ as (\S+) /m.exec(result.stdout) ?? [];
  if (deviceId === undefined) throw new Error(`join did not succeed (${result.code}): ${result.stderr}`);
  return deviceId;
}

/** The node connects with its stored certificate and registers. */
async function connects(nodeDir: string): Promise<void> {
  const agent = await startNode(nodeDir);
  await agent.stop();
}

/** The daemon refuses the node's certificate. */
async function refused(nodeDir: string): Promise<void> {
  expectErrorLine(await spawnRun(nodeDir).waitForExit(), 'PALYRA_E_PERMISSION_DENIED', 77, { logs: true });
}

describe('kill -9 of the daemon during pairings and removals (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('after the restart the store is intact, removals stay removed and refused, paired nodes connect, nothing is pending, a new pairing works', async () => {
    const base = await dirs.make('palyra-e2e-pairing-kill-');
    const before = await DaemonProcess.start(join(base, 'daemon'), ['--auto-approve', 'all', '--quic-listen', 'off']);

    const earlier = await Promise.all(
      Array.from({ length: EARLIER }, async (_, i) => {
        const dir = join(base, `earlier-${i}`);
        const result = await spawnQrJoin(before, await mintQr(before), dir, `earlier-${i}`).waitForExit();
        return { dir, deviceId: joinedAs(result) };
      }),
    );

    // The burst: joins in two lanes, one after another in each (so that some are paired and
    // others pairing at any moment), removals from the moment the first join is through; kill -9
    // from the handler of the REMOVED_AT_KILL-th removal that returned success: in the middle.
    const codes = await Promise.all(Array.from({ length: JOINING }, () => mintQr(before)));
    const joined: { dir: string; result: CommandResult }[] = [];
    let firstJoined: () => void = () => undefined;
    const someJoined = new Promise<void>((resolve) => (firstJoined = resolve));
    const lane = async (indexes: number[]) => {
      for (const i of indexes) {
        const dir = join(base, `joining-${i}`);
        const result = await spawnQrJoin(before, codes[i] ?? '', dir, `joining-${i}`).waitForExit();
        joined.push({ dir, result });
        if (result.code === 0) firstJoined();
        if (result.code !== 0) return;
      }
    };
    const lanes = Promise.all([lane([0, 2, 4, 6]), lane([1, 3, 5, 7])]);
    await someJoined;
    // Two removals at a time: when the kill comes, another is usually under way (its outcome
    // may go either way, and is checked like the others: listed and connects, or refused).
    const removed: string[] = [];
    const toRemove = [...earlier];
    let killed = false;
    const remover = async () => {
      for (let node = toRemove.shift(); node !== undefined && !killed; node = toRemove.shift()) {
        const result = await before.cli('nodes', 'remove', node.deviceId);
        // A removal that returned success, even just after the kill: it must stay removed.
        if (result.code !== 0) continue;
        removed.push(node.deviceId);
        if (removed.length === REMOVED_AT_KILL && !killed) {
          killed = true;
          before.process.signal('SIGKILL');
        }
      }
    };
    await Promise.all([remover(), remover()]);
    await before.process.exited;
    await lanes;
    expect(removed.length).toBeGreaterThanOrEqual(REMOVED_AT_KILL);

    const after = await DaemonProcess.start(before.stateDir, ['--listen', before.ready.grpc, '--auto-approve', 'all', '--quic-listen', 'off']);
    const db = new Database(stateDatabase(after.stateDir), { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('quick_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    // Left pending by the kill, withdrawn at the start: none pending, in the store either.
    expect(parseOneJson<PendingRow[]>(await after.cli('nodes', 'pending', '--json'))).toEqual([]);
    expect(storedRecords<{ state: string }>(after.stateDir, 'pairing_requests').filter((r) => r.state === 'pending_approval')).toEqual([]);
    const listed = new Set(parseOneJson<NodeRow[]>(await after.cli('nodes', 'list', '--json')).map((n) => n.deviceId));

    // Every removal that returned success: gone, and refused.
    for (const deviceId of removed) expect(listed.has(deviceId), deviceId).toBe(false);
    const checks: Promise<void>[] = [];
    for (const node of earlier) checks.push(listed.has(node.deviceId) ? connects(node.dir) : refused(node.dir));
    // Every join that succeeded is paired and connects.
    const joinedIds = new Set<string>();
    for (const { dir, result } of joined) {
      if (result.code !== 0) continue;
      const deviceId = joinedAs(result);
      joinedIds.add(deviceId);
      expect(listed.has(deviceId), deviceId).toBe(true);
      checks.push(connects(dir));
    }
    await Promise.all(checks);
    // Every node listed holds a certificate somewhere: none approved whose join never got it.
    const known = new Set([...earlier.map((n) => n.deviceId), ...joinedIds]);
    expect([...listed].filter((deviceId) => !known.has(deviceId))).toEqual([]);

    // A new pairing works.
    const fresh = join(base, 'fresh');
    const freshId = joinedAs(await spawnQrJoin(after, await mintQr(after), fresh, 'fresh').waitForExit());
    expect(parseOneJson<NodeRow[]>(await after.cli('nodes', 'list', '--json')).map((n) => n.deviceId)).toContain(freshId);
    await connects(fresh);
  });
});
