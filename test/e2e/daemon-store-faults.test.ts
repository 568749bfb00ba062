/**
 * A daemon whose state database cannot be written (issue 14, part 6), with real processes:
 * it still starts and serves what it can, settles what a crashed run left in memory, and a
 * `nodes remove` it cannot record is enforced at once and reported loudly. The writes fail
 * for real: another connection holds the database's write lock (as a long `sqlite3` session
 * would), so each write fails with SQLITE_BUSY once the busy timeout ran out. That works as
 * root (a read-only chmod does not stop root) and on any file system.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, spawnJoin, spawnRun, stateDatabase, type NodeRow, type PendingRow } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();
afterEach(() => stopProcesses(), E2E_HOOK_TIMEOUT_MS);
afterAll(() => dirs.cleanup(), E2E_HOOK_TIMEOUT_MS);

describe('a state database that cannot be written (real daemon)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('starts and serves; a nodes remove it cannot record is enforced at once and fails loudly', async () => {
    const base = await dirs.make('palyra-e2e-store-faults-');
    const stateDir = join(base, 'daemon');
    const nodeDir = join(base, 'node');
    const first = await DaemonProcess.start(stateDir);
    const deviceId = await pairNode(first, nodeDir, 'kept');
    // A request left pending by a crash: the next start must withdraw it.
    const joining = spawnJoin(join(base, 'orphan'), first, await first.mintPin(), ['--name', 'orphan']);
    await joining.waitFor(/waiting for approval/);
    first.process.signal('SIGKILL');
    await first.process.exited;
    await joining.waitForExit();

    const holder = new Database(stateDatabase(stateDir));
    holder.exec('BEGIN IMMEDIATE');
    let second: DaemonProcess;
    try {
      // On the same port: the node's stored address must reach it.
      second = await DaemonProcess.start(stateDir, ['--listen', `127.0.0.1:${first.port}`]);
      for (const what of ['withdrawing the pairing requests left pending', 'ending the pairing codes of the previous run']) {
        await second.process.waitFor(new RegExp(`"code":"PALYRA_E_STATE_IO".*"msg":"start-up: ${what} could not be recorded in the state store; serving anyway"`), 30_000, 'stderr');
      }
      // Serves what it has: the registered node; the orphaned request is withdrawn all the same.
      expect(parseOneJson<NodeRow[]>(await second.cli('nodes', 'list', '--json')).map((n) => n.deviceId)).toEqual([deviceId]);
      expect(parseOneJson<PendingRow[]>(await second.cli('nodes', 'pending', '--json'))).toEqual([]);

      const removal = await second.cli('nodes', 'remove', deviceId);
      expect(expectErrorLine(removal, 'PALYRA_E_STATE_IO', 74)).toContain(`node ${deviceId} was removed and its certificate revoked in memory, but the state store could not record it`);
      await second.process.waitFor(/"code":"PALYRA_E_STATE_IO".*"msg":"node registry: a write failed"/, 30_000, 'stderr');
      // Enforced at once: gone from the list, its certificate refused.
      expect(parseOneJson<NodeRow[]>(await second.cli('nodes', 'list', '--json'))).toEqual([]);
      const refused = await spawnRun(nodeDir).waitForExit();
      expectErrorLine(refused, 'PALYRA_E_PERMISSION_DENIED', 77, { logs: true });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }

    // Writable again: the stop's flush records what memory held, and a restart keeps it.
    expect((await second.stop()).code).toBe(0);
    const third = await DaemonProcess.start(stateDir, ['--listen', `127.0.0.1:${first.port}`]);
    expect(parseOneJson<NodeRow[]>(await third.cli('nodes', 'list', '--json'))).toEqual([]);
    expectErrorLine(await spawnRun(nodeDir).waitForExit(), 'PALYRA_E_PERMISSION_DENIED', 77, { logs: true });
  });
});
