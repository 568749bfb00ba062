/**
 * A daemon stop is bounded whatever its peers do, with real processes: an agent frozen
 * (SIGSTOP) with dispatches running must not keep a SIGTERMed daemon (and its daemon.lock)
 * alive. The old stop waited minutes for the frozen peer to acknowledge the close of its QUIC
 * connection, with gRPC and the admin socket already closed.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess, pairNode, spawnJoin, startNode, stateDatabase } from '../helpers/daemonHarness.js';
import { spawnInvoke, startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_TEST_TIMEOUT_MS, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();
afterEach(() => stopProcesses());
afterAll(() => dirs.cleanup());

describe('daemon stop', () => {
  it('exits after SIGTERM while an agent with dispatches running is frozen, and starts again on the same state dir', async () => {
    const base = await dirs.make('palyra-e2e-stop-');
    const stateDir = join(base, 'daemon');
    const daemon = await DaemonProcess.start(stateDir);
    const nodeDir = join(base, 'node');
    const deviceId = await pairNode(daemon, nodeDir, 'frozen-stop');
    const configPath = await writeNodeConfig(base, {
      plugins: [{ use: 'shell', grants: { commands: ['sh'], roots: [base], timeoutMs: 120_000 } }],
    });
    const agent = await startAgent(nodeDir, configPath);
    const invokes = Array.from({ length: 3 }, () => spawnInvoke(daemon, deviceId, 'shell.exec', { command: 'sh', args: ['-c', 'echo started; sleep 60'] }));
    for (const invoke of invokes) await invoke.waitFor(/started/, 30_000);

    agent.signal('SIGSTOP');
    daemon.process.signal('SIGTERM');
    // Generous: the bound is a few seconds; the old stop took minutes.
    const stopped = await daemon.process.waitForExit(20_000);
    agent.signal('SIGCONT');
    expect(stopped.code, stopped.stderr).toBe(0);
    for (const invoke of invokes) invoke.signal('SIGTERM');

    const again = await DaemonProcess.start(stateDir);
    expect(again.ready.ca).toBe(daemon.ready.ca);
  }, E2E_TEST_TIMEOUT_MS);

  it('logs, with their code, an expiry sweep and a final registry flush that fail', async () => {
    const base = await dirs.make('palyra-e2e-dropped-');
    const stateDir = join(base, 'daemon');
    const daemon = await DaemonProcess.start(stateDir, ['--request-ttl', '3s']);
    const nodeDir = join(base, 'node');
    await pairNode(daemon, nodeDir, 'seen');
    await startNode(nodeDir);
    const waiting = spawnJoin(join(base, 'waiting'), daemon, await daemon.mintPin(), ['--name', 'waiting']);
    await waiting.waitFor(/waiting for approval/);
    let stopped: Awaited<ReturnType<typeof daemon.process.waitForExit>>;

    // The state database can no longer be written: another connection holds its write lock
    // (as a long `sqlite3` session would), so each of the daemon's writes fails once SQLite's
    // busy timeout ran out (SQLITE_BUSY: PALYRA_E_STATE_IO).
    const holder = new Database(stateDatabase(stateDir));
    holder.exec('BEGIN IMMEDIATE');
    try {
      await daemon.process.waitFor(/^\{.*"code":"PALYRA_E_STATE_IO".*"msg":"expiry sweep failed"\}$/m, 30_000, 'stderr');
      daemon.process.signal('SIGTERM');
      stopped = await daemon.process.waitForExit(60_000);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(stopped.stderr).toMatch(/^\{"level":50,.*"service":"registry flush","code":"PALYRA_E_STATE_IO".*"msg":"registry flush failed to stop"\}$/m);
  }, E2E_TEST_TIMEOUT_MS);
});
