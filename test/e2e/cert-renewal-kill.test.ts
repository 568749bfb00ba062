/**
 * Issue 15, part 1: no crash at any step of a renewal leaves a node without a working
 * certificate. `kill -9` of the agent and of the daemon exactly during a renewal, hit
 * deterministically through the agent's test seam PALYRA_TEST_RENEWAL_PAUSE (it stops at a
 * named step of its first renewal, says so on stdout, and waits for SIGUSR2). The agent's
 * clock runs 35 s ahead (PALYRA_TEST_CLOCK_OFFSET_MS) so that its first renewal of a
 * 1-minute certificate starts within seconds.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, type NodeRow } from '../helpers/daemonHarness.js';
import { invokeJson, startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { PALYRA_NODE, pollUntil, spawnBin, stopProcesses, TempDirs, type RunningProcess } from '../helpers/processes.js';

const dirs = new TempDirs();

afterEach(async () => {
  await stopProcesses();
  await dirs.cleanup();
});

const EARLY = { PALYRA_TEST_CLOCK_OFFSET_MS: '35000' };
const PAUSED = /^palyra-node test-pause renewal step=(\w+)$/m;

interface Setup {
  daemon: DaemonProcess;
  deviceId: string;
  nodeDir: string;
  config: string;
}

async function setup(name: string): Promise<Setup> {
  const base = await dirs.make(`palyra-e2e-renew-kill-${name}-`);
  const daemon = await DaemonProcess.start(join(base, 'daemon'), ['--cert-validity', '1m']);
  const nodeDir = join(base, 'node');
  const deviceId = await pairNode(daemon, nodeDir, name);
  const config = await writeNodeConfig(base, { plugins: [{ use: 'shell', grants: { commands: ['sh'], roots: [base] } }] });
  return { daemon, deviceId, nodeDir, config };
}

/** Starts the agent paused at `step` of its first renewal and waits until it is there. */
async function pausedAt({ nodeDir, config }: Setup, step: string): Promise<RunningProcess> {
  const agent = spawnBin(PALYRA_NODE, ['run', '--state-dir', nodeDir, '--config', config], { ...EARLY, PALYRA_TEST_RENEWAL_PAUSE: step });
  const [, at] = await agent.waitFor(PAUSED, 60_000);
  expect(at).toBe(step);
  return agent;
}

async function row(daemon: DaemonProcess, deviceId: string): Promise<NodeRow | undefined> {
  return parseOneJson<NodeRow[]>(await daemon.cli('nodes', 'list', '--json')).find((n) => n.deviceId === deviceId);
}

/** The node is online with an unexpired certificate and runs a dispatch. */
async function works(daemon: DaemonProcess, deviceId: string): Promise<NodeRow> {
  const online = await pollUntil(async () => {
    const r = await row(daemon, deviceId);
    return r?.status === 'online' ? r : undefined;
  }, { timeoutMs: 60_000, what: 'the node online' });
  expect(Date.parse(online.certExpiresAt)).toBeGreaterThan(Date.now());
  const result = await invokeJson(daemon, deviceId, 'shell.exec', { command: 'sh', args: ['-c', 'echo alive'] });
  expect(result.status, JSON.stringify(result)).toBe('succeeded');
  return online;
}

async function kill(process: RunningProcess): Promise<void> {
  process.signal('SIGKILL');
  await process.exited;
}

describe('kill -9 during a renewal (real processes)', { timeout: 240_000 }, () => {
  it('the agent killed after the daemon issued, before it stored: it comes back on its old certificate, then renews', async () => {
    const s = await setup('agent-issued');
    const before = await row(s.daemon, s.deviceId);
    const agent = await pausedAt(s, 'issued');
    await kill(agent);
    // The daemon recorded the new certificate; the node never got it: its old one is the
    // daemon's `previous` and still lets it in.
    const again = await startAgent(s.nodeDir, s.config, { env: EARLY });
    await again.waitFor(/^palyra-node renewed path=mtls/m, 60_000);
    const after = await works(s.daemon, s.deviceId);
    expect(after.certFingerprint).not.toBe(before?.certFingerprint);
  });

  it('the agent killed after it stored the new certificate, before it switched: it comes back on the new one', async () => {
    const s = await setup('agent-stored');
    const before = await row(s.daemon, s.deviceId);
    const agent = await pausedAt(s, 'stored');
    await kill(agent);
    // No clock offset now: no renewal is due, the node must come back on what the vault holds.
    const again = await startAgent(s.nodeDir, s.config);
    const after = await works(s.daemon, s.deviceId);
    expect(after.certFingerprint).not.toBe(before?.certFingerprint);
    expect(again.stdout).not.toMatch(/palyra-node renewed/);
  });

  it('the daemon killed while the node waits to send its proof: the node renews once the daemon is back', async () => {
    const s = await setup('daemon-challenged');
    const agent = await pausedAt(s, 'challenged');
    await kill(s.daemon.process);
    agent.signal('SIGUSR2');
    const daemon = await DaemonProcess.start(s.daemon.stateDir, ['--cert-validity', '1m', '--listen', s.daemon.ready.grpc]);
    await agent.waitFor(/^palyra-node renewed path=mtls/m, 90_000);
    await works(daemon, s.deviceId);
    expect(agent.running).toBe(true);
  });

  it('the daemon killed after it issued: the node stores and switches, and the restarted daemon knows the new certificate', async () => {
    const s = await setup('daemon-issued');
    const agent = await pausedAt(s, 'issued');
    await kill(s.daemon.process);
    agent.signal('SIGUSR2');
    await agent.waitFor(/^palyra-node renewed path=mtls expires=\S+$/m, 30_000);
    const daemon = await DaemonProcess.start(s.daemon.stateDir, ['--cert-validity', '1m', '--listen', s.daemon.ready.grpc]);
    const online = await works(daemon, s.deviceId);
    // The daemon lists a certificate this node renewed to (its clock runs ahead: it may have
    // renewed again since), and the node never fell back or was refused.
    const renewedTo = [...agent.stdout.matchAll(/^palyra-node renewed path=mtls expires=(\S+)$/gm)].map((m) => m[1]);
    expect(renewedTo).toContain(online.certExpiresAt);
    expect(agent.stderr).not.toMatch(/falling back to the previous one/);
    expect(agent.stderr).not.toMatch(/PALYRA_E_(PERMISSION_DENIED|RENEWAL_REFUSED|CERT_EXPIRED)/);
  });
});
