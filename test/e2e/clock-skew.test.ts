/**
 * A node whose clock is off, with real processes: a palyrad and a paired palyra-node whose
 * wall clock runs 31 s fast (PALYRA_TEST_CLOCK_OFFSET_MS, the agent's one test seam for its
 * clock: the system clock cannot be changed in a test). Its dispatches still get their full
 * time, and `nodes list` shows the skew.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, pairNode, type NodeRow } from '../helpers/daemonHarness.js';
import { invokeJson, startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, pollUntil, stopProcesses, TempDirs } from '../helpers/processes.js';

const NODE_CLOCK_AHEAD_MS = 31_000;

type SkewRow = NodeRow & { clockSkewMs: number | null };

const dirs = new TempDirs();
let daemon: DaemonProcess | undefined;
let deviceId = '';
let root = '';

function running(): DaemonProcess {
  if (daemon === undefined) throw new Error('the daemon did not start');
  return daemon;
}

beforeAll(async () => {
  const base = await dirs.make('palyra-e2e-clock-skew-');
  root = join(base, 'root');
  await mkdir(root);
  daemon = await DaemonProcess.start(join(base, 'daemon'));
  const nodeDir = join(base, 'node');
  deviceId = await pairNode(daemon, nodeDir, 'fast-clock-node');
  const configPath = await writeNodeConfig(base, { plugins: [{ use: 'filesystem', grants: { roots: [root] } }] });
  await startAgent(nodeDir, configPath, { env: { PALYRA_TEST_CLOCK_OFFSET_MS: String(NODE_CLOCK_AHEAD_MS) } });
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('a node whose clock runs 31 s fast (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('still runs a dispatch with a 30 s timeout: the node is sent the time left, not a wall-clock instant', async () => {
    const json = await invokeJson(running(), deviceId, 'fs.stat', { path: '.' }, ['--timeout', '30s']);
    expect(json.status, JSON.stringify(json.error)).toBe('succeeded');
    expect(json.output).toMatchObject({ path: root, type: 'directory' });
  });

  it('nodes list shows the skew: clockSkewMs in JSON, a warning in the text listing', async () => {
    const row = await pollUntil(
      async () => {
        const rows = await running().json<SkewRow[]>('nodes', 'list');
        const found = rows.find((r) => r.deviceId === deviceId);
        return typeof found?.clockSkewMs === 'number' ? found : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'nodes list to report the clock skew of the node' },
    );
    // An estimate (sent time plus half the round trip): near the offset, far beyond the 5 s warning.
    expect(row.clockSkewMs).toBeGreaterThan(NODE_CLOCK_AHEAD_MS - 5_000);
    expect(row.clockSkewMs).toBeLessThan(NODE_CLOCK_AHEAD_MS + 5_000);

    const text = await running().cli('nodes', 'list');
    expect(text.code, text.stderr).toBe(0);
    const line = text.stdout.split('\n').find((l) => l.startsWith(deviceId));
    expect(line).toMatch(/warning: clock 3\d\.\d s ahead/);
  });
});
