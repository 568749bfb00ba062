/**
 * Many dispatches in flight at once on one agent must not make Node warn about a listener
 * leak (MaxListenersExceededWarning), and dispatches that ended must leave no listener
 * behind. Real processes: a palyrad, a paired palyra-node with the shell plugin, and 50
 * shell.exec dispatches held open together by a gate file, through the admin client.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import { DaemonProcess, pairNode } from '../helpers/daemonHarness.js';
import { startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, pollUntil, stopProcesses, TempDirs, type RunningProcess } from '../helpers/processes.js';

/** Node's default limit is 10 listeners per event on one EventTarget: well over it. */
const CONCURRENT = 50;
const LEAK_WARNING = /MaxListenersExceededWarning|Possible EventTarget memory leak/;

const dirs = new TempDirs();
let daemon: DaemonProcess | undefined;
let agent: RunningProcess | undefined;
let client: ControlClient | undefined;
let deviceId = '';
let root = '';

beforeAll(async () => {
  const base = await dirs.make('palyra-e2e-listeners-');
  root = join(base, 'root');
  await mkdir(root);
  daemon = await DaemonProcess.start(join(base, 'daemon'), ['--quic-listen', 'off']);
  const nodeDir = join(base, 'node');
  deviceId = await pairNode(daemon, nodeDir, 'listeners-node');
  const configPath = await writeNodeConfig(base, { plugins: [{ use: 'shell', grants: { commands: ['sh'], roots: [root], timeoutMs: 120_000 } }] });
  agent = await startAgent(nodeDir, configPath);
  client = await ControlClient.connect(daemon.stateDir);
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  client?.close();
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

function control(): ControlClient {
  if (client === undefined) throw new Error('the control client did not connect');
  return client;
}

/**
 * Starts `count` dispatches that each note their start in `started/` and then wait for
 * `gate` to exist; resolves once all of them are running at the same time.
 */
async function holdDispatches(count: number, round: string): Promise<{ release: () => Promise<void>; results: Promise<Array<{ status: string }>> }> {
  const startedDir = join(root, `started-${round}`);
  await mkdir(startedDir);
  const gate = `gate-${round}`;
  const script = `touch "started-${round}/$$"; while [ ! -e ${gate} ]; do sleep 0.05; done`;
  const results = Promise.all(
    Array.from({ length: count }, () =>
      control().invokeAndWait({ deviceId, capability: 'shell.exec', input: { command: 'sh', args: ['-c', script] }, timeoutMs: 120_000 }),
    ),
  );
  await pollUntil(async () => ((await readdir(startedDir)).length >= count ? true : undefined), {
    timeoutMs: 90_000,
    intervalMs: 100,
    what: `${count} dispatches running at once`,
  });
  return { release: () => writeFile(join(root, gate), ''), results };
}

describe('concurrent dispatches on one agent (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('rounds of a few dispatches each leave no listener behind: no leak warning after many rounds', async () => {
    // Below the limit at any one time, so only listeners that outlive their dispatch add up.
    for (let round = 0; round < 4; round++) {
      const held = await holdDispatches(8, `small-${round}`);
      await held.release();
      for (const result of await held.results) expect(result.status).toBe('succeeded');
    }
    expect(agent?.stderr ?? '').not.toMatch(LEAK_WARNING);
  });

  it(`${CONCURRENT} dispatches in flight together make no MaxListenersExceededWarning on the agent`, async () => {
    const held = await holdDispatches(CONCURRENT, 'many');
    await held.release();
    const results = await held.results;
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: CONCURRENT }, () => 'succeeded'));
    expect(agent?.running).toBe(true);
    expect(agent?.stderr ?? '').not.toMatch(LEAK_WARNING);
  });
});
