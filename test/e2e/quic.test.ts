/**
 * The QUIC transport through the built binaries: `palyrad start` announces its QUIC endpoint,
 * a paired `palyra-node run` pings health over QUIC, and `nodes list` / `palyra-node status`
 * say so. One daemon for the file; each test pairs its own node.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOneJson } from '../helpers/cliAssertions.js';
import { nodeCli, pairNode, type NodeRow } from '../helpers/daemonHarness.js';
import { useSharedDaemon } from '../helpers/sharedDaemon.js';
import { E2E_TEST_TIMEOUT_MS, PALYRA_NODE, PALYRAD, pollUntil, spawnBin } from '../helpers/processes.js';

type QuicNodeRow = NodeRow & { transport: 'quic' | 'grpc' | null; healthRttMs: number | null };

const { dirs, running } = useSharedDaemon('palyra-e2e-quic-');

async function nodeRow(deviceId: string): Promise<QuicNodeRow | undefined> {
  return parseOneJson<QuicNodeRow[]>(await running().cli('nodes', 'list', '--json')).find((n) => n.deviceId === deviceId);
}

describe('QUIC transport (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('palyrad start prints its QUIC endpoint on the ready line', async () => {
    const stateDir = join(await dirs.make('palyra-e2e-quic-ready-'), 'state');
    const proc = spawnBin(PALYRAD, ['start', '--state-dir', stateDir, '--listen', '127.0.0.1:0']);
    const [line, grpcPort, quicPort] = await proc.waitFor(/^palyrad ready grpc=127\.0\.0\.1:(\d+) quic=127\.0\.0\.1:(\d+) admin=\S+ ca=[0-9a-f]{64}$/m, 30_000);
    expect(line).toBeDefined();
    expect(Number(quicPort)).toBeGreaterThan(0);
    expect(quicPort).not.toBe(grpcPort);
    // The JSON form carries the same address.
    expect(running().ready.quic).toMatch(/^127\.0\.0\.1:\d+$/);
    const stopped = await proc.stop();
    expect(stopped.code).toBe(0);
  });

  it('a paired node pings health over QUIC: nodes list shows transport quic and a round trip', async () => {
    const nodeDir = join(await dirs.make('palyra-e2e-quic-node-'), 'state');
    const deviceId = await pairNode(running(), nodeDir, 'quic-node');
    const agent = spawnBin(PALYRA_NODE, ['run', '--state-dir', nodeDir]);
    await agent.waitFor(/^palyra-node ready device=\S+$/m, 30_000);
    const [, quicAddress] = await agent.waitFor(/^palyra-node transport quic quic=(\S+)$/m, 30_000);
    expect(quicAddress).toBe(running().ready.quic);

    const row = await pollUntil(
      async () => {
        const n = await nodeRow(deviceId);
        return n?.transport === 'quic' && typeof n.healthRttMs === 'number' ? n : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'nodes list to show transport quic with a round trip' },
    );
    expect(row.status).toBe('online');
    expect(row.healthRttMs).toBeGreaterThan(0);

    const status = parseOneJson<{ transport: string; agent: { running: boolean; transport: string; healthRttMs: number | null } }>(
      await nodeCli(nodeDir, 'status', '--json'),
    );
    expect(status.agent.running).toBe(true);
    expect(status.transport).toBe('quic');

    await agent.stop();
    const after = parseOneJson<{ agent: { running: boolean; transport: string | null } }>(await nodeCli(nodeDir, 'status', '--json'));
    expect(after.agent).toMatchObject({ running: false, transport: null });
  });

  it('--transport-fallback always keeps the node on gRPC, and status and nodes list say so', async () => {
    const nodeDir = join(await dirs.make('palyra-e2e-quic-grpc-'), 'state');
    const deviceId = await pairNode(running(), nodeDir, 'grpc-node');
    const agent = spawnBin(PALYRA_NODE, ['run', '--state-dir', nodeDir, '--transport-fallback', 'always']);
    await agent.waitFor(/^palyra-node transport grpc fallback=always reason=.*$/m, 30_000);
    const row = await pollUntil(
      async () => {
        const n = await nodeRow(deviceId);
        return n?.transport === 'grpc' ? n : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'nodes list to show transport grpc' },
    );
    expect(row.status).toBe('online');
    const status = parseOneJson<{ transport: string }>(await nodeCli(nodeDir, 'status', '--json'));
    expect(status.transport).toBe('grpc');
  });
});
