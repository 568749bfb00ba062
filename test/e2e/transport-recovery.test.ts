/**
 * Item 11 of issue 13, through the built binaries: `nodes list` shows `transport: null` for an
 * offline node (it showed `quic` until the daemon's QUIC idle timeout, a minute), and after a
 * daemon restart a node returns to QUIC as soon as it registers again (it stayed on gRPC until
 * its 60 s QUIC retry).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, type NodeRow } from '../helpers/daemonHarness.js';
import { E2E_TEST_TIMEOUT_MS, PALYRA_NODE, pollUntil, spawnBin, stopProcesses, TempDirs } from '../helpers/processes.js';

type TransportRow = NodeRow & { transport: 'quic' | 'grpc' | null };

const dirs = new TempDirs();

afterEach(async () => {
  await stopProcesses();
  await dirs.cleanup();
});

async function nodeRow(daemon: DaemonProcess, deviceId: string): Promise<TransportRow | undefined> {
  return parseOneJson<TransportRow[]>(await daemon.cli('nodes', 'list', '--json')).find((n) => n.deviceId === deviceId);
}

function waitForRow(daemon: DaemonProcess, deviceId: string, what: string, accept: (row: TransportRow) => boolean, timeoutMs: number): Promise<TransportRow> {
  return pollUntil(
    async () => {
      const row = await nodeRow(daemon, deviceId);
      return row !== undefined && accept(row) ? row : undefined;
    },
    { timeoutMs, intervalMs: 250, what },
  );
}

/** A daemon, a paired node and its agent, settled on QUIC. */
async function nodeOnQuic(): Promise<{ daemon: DaemonProcess; deviceId: string; nodeDir: string; agent: ReturnType<typeof spawnBin> }> {
  const daemon = await DaemonProcess.start(join(await dirs.make('palyra-e2e-transport-'), 'state'));
  const nodeDir = join(await dirs.make('palyra-e2e-transport-node-'), 'state');
  const deviceId = await pairNode(daemon, nodeDir, 'transport-node');
  const agent = spawnBin(PALYRA_NODE, ['run', '--state-dir', nodeDir]);
  await agent.waitFor(/^palyra-node transport quic quic=\S+$/m, 30_000);
  await waitForRow(daemon, deviceId, 'nodes list to show the node online on quic', (row) => row.status === 'online' && row.transport === 'quic', 20_000);
  return { daemon, deviceId, nodeDir, agent };
}

describe('the node transport across offline nodes and daemon restarts (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('an offline node shows transport null, though its dead QUIC connection has not timed out yet', async () => {
    const { daemon, deviceId, agent } = await nodeOnQuic();
    // No goodbye on either transport: the daemon learns it from gRPC keepalive (seconds),
    // while the QUIC connection lingers until its idle timeout (60 s).
    agent.signal('SIGKILL');
    await agent.exited;
    const row = await waitForRow(daemon, deviceId, 'nodes list to show the killed node offline', (r) => r.status === 'offline', 30_000);
    expect(row.transport).toBeNull();
  });

  // SIGTERM: the daemon closes the node's QUIC connection. SIGKILL: it vanishes without a word,
  // and the node's QUIC connection to it looks alive until its idle timeout (a minute).
  it.each(['SIGTERM', 'SIGKILL'] as const)('after a daemon restart (%s) the node returns to QUIC without waiting for its 60 s QUIC retry', async (stopSignal) => {
    const { daemon, deviceId, agent } = await nodeOnQuic();
    daemon.process.signal(stopSignal);
    await daemon.process.exited;
    // Same state dir and ports: the node reconnects to the address it joined.
    const again = await DaemonProcess.start(daemon.stateDir, ['--listen', daemon.ready.grpc, '--quic-listen', daemon.ready.quic]);
    await waitForRow(again, deviceId, 'the node online again', (row) => row.status === 'online', 60_000);
    // A deadline on the event, well below the 60 s retry, not a measure of speed.
    const row = await waitForRow(again, deviceId, 'the node back on QUIC after the restart', (r) => r.transport === 'quic', 20_000);
    expect(row.status).toBe('online');
    expect(agent.running).toBe(true);
  });
});
