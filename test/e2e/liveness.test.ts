/**
 * What `nodes list` says about agents that stop answering, with real processes: a frozen
 * agent (SIGSTOP: no FIN, no RST) is found out by keepalive, a killed one by its closed
 * socket. One daemon for the file; each test pairs its own node.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOneJson } from '../helpers/cliAssertions.js';
import { pairNode, startNode, type NodeRow } from '../helpers/daemonHarness.js';
import { useSharedDaemon } from '../helpers/sharedDaemon.js';
import { E2E_TEST_TIMEOUT_MS, pollUntil } from '../helpers/processes.js';

const { dirs, running } = useSharedDaemon('palyra-e2e-liveness-');

async function nodeRow(deviceId: string): Promise<NodeRow | undefined> {
  const nodes = parseOneJson<NodeRow[]>(await running().cli('nodes', 'list', '--json'));
  return nodes.find((n) => n.deviceId === deviceId);
}

/** Polls `nodes list` until the node has `status` (generous: keepalive takes seconds). */
async function waitForStatus(deviceId: string, status: NodeRow['status'], timeoutMs = 30_000): Promise<NodeRow> {
  return pollUntil(
    async () => {
      const row = await nodeRow(deviceId);
      return row?.status === status ? row : undefined;
    },
    { timeoutMs, intervalMs: 500, what: `node ${deviceId} to be listed ${status}` },
  );
}

async function pairedAndOnline(name: string): Promise<{ deviceId: string; agent: Awaited<ReturnType<typeof startNode>> }> {
  const nodeDir = join(await dirs.make('palyra-e2e-node-'), 'state');
  const deviceId = await pairNode(running(), nodeDir, name);
  const agent = await startNode(nodeDir);
  expect((await nodeRow(deviceId))?.status).toBe('online');
  return { deviceId, agent };
}

describe('node liveness (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('lists a frozen agent offline thanks to keepalive, and online again once it resumes', async () => {
    const { deviceId, agent } = await pairedAndOnline('frozen');

    agent.signal('SIGSTOP');
    const offline = await waitForStatus(deviceId, 'offline');
    expect(Number.isNaN(Date.parse(offline.lastSeen ?? ''))).toBe(false);

    // Resumed, the agent finds its connection gone and reconnects by itself.
    agent.signal('SIGCONT');
    await waitForStatus(deviceId, 'online', 60_000);
    expect(agent.running).toBe(true);
  });

  it('lists a killed agent offline, with its last-seen time', async () => {
    const { deviceId, agent } = await pairedAndOnline('killed');
    const online = await nodeRow(deviceId);

    agent.signal('SIGKILL');
    await agent.exited;
    const offline = await waitForStatus(deviceId, 'offline');
    expect(offline.lastSeen).not.toBeNull();
    expect(Date.parse(offline.lastSeen ?? '')).toBeGreaterThan(0);
    expect(offline.certFingerprint).toBe(online?.certFingerprint);
  });
});
