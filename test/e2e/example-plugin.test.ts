/**
 * examples/hello-plugin the way its README tells a user to run it: a paired palyra-node
 * started from the repository root with `--config examples/hello-plugin/palyra-node.config.json`,
 * and `palyrad nodes invoke` against it. Real processes, one daemon and agent for the file.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import type { InvocationEvent } from '../../daemon/src/client/invocation.js';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, type NodeRow } from '../helpers/daemonHarness.js';
import { invokeJson, runInvoke, spawnInvoke, startAgent } from '../helpers/dispatchHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, stopProcesses, TempDirs, type RunningProcess } from '../helpers/processes.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

const dirs = new TempDirs();
let daemon: DaemonProcess | undefined;
let agent: RunningProcess | undefined;
let deviceId = '';

function running(): DaemonProcess {
  if (daemon === undefined) throw new Error('the daemon did not start');
  return daemon;
}

beforeAll(async () => {
  const base = await dirs.make('palyra-e2e-example-');
  daemon = await DaemonProcess.start(join(base, 'daemon'));
  const nodeDir = join(base, 'node');
  deviceId = await pairNode(daemon, nodeDir, 'hello-node');
  // Relative to the working directory, exactly as in examples/hello-plugin/README.md.
  agent = await startAgent(nodeDir, 'examples/hello-plugin/palyra-node.config.json', { cwd: REPO });
}, E2E_HOOK_TIMEOUT_MS);

afterEach(async () => {
  await stopProcesses([daemon?.process, agent]);
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('examples/hello-plugin on a real node', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('is announced by the node, without the built-ins the example config turns off', async () => {
    const nodes = parseOneJson<NodeRow[]>(await running().cli('nodes', 'list', '--json'));
    const row = nodes.find((n) => n.deviceId === deviceId);
    expect(row?.status).toBe('online');
    expect(row?.capabilities.filter((id) => id.startsWith('hello.'))).toEqual(['hello.greet', 'hello.sleep']);
    expect(row?.capabilities.filter((id) => id.startsWith('fs.') || id.startsWith('shell.'))).toEqual([]);
  });

  it('hello.greet from the CLI: streamed chunks on stdout, progress on stderr, then the result', async () => {
    const cli = spawnInvoke(running(), deviceId, 'hello.greet', { name: 'Ada' });
    const result = await cli.waitForExit(30_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`Hello, Ada!\n${JSON.stringify({ greeting: 'Hello, Ada!' }, null, 2)}\n`);
    expect(result.stderr).toContain('progress 50% greeting half done');

    const json = await invokeJson(running(), deviceId, 'hello.greet', { name: 'Ada' });
    expect(json).toMatchObject({ status: 'succeeded', output: { greeting: 'Hello, Ada!' }, error: null });
  });

  it('hello.greet through the programmatic client: each chunk and progress update as its own event', async () => {
    const client = await ControlClient.connect(running().stateDir);
    try {
      const events: InvocationEvent[] = [];
      for await (const event of client.invoke({ deviceId, capability: 'hello.greet', input: { name: 'Grace' } })) events.push(event);
      expect(events.filter((e) => e.type === 'output').map((e) => (e.type === 'output' ? e.chunk.toString() : ''))).toEqual(['Hello, ', 'Grace!\n']);
      expect(events.filter((e) => e.type === 'progress')).toEqual([
        { type: 'progress', ratio: 0.5, message: 'greeting half done' },
        { type: 'progress', ratio: 1, message: '' },
      ]);
      // The first chunk is streamed before the second, and both before the result.
      const kinds = events.map((e) => e.type);
      expect(kinds[0]).toBe('accepted');
      expect(kinds.at(-1)).toBe('result');
      expect(kinds.indexOf('output')).toBeLessThan(kinds.indexOf('result'));
      expect(events.at(-1)).toMatchObject({ type: 'result', result: { status: 'succeeded', output: { greeting: 'Hello, Grace!' } } });
    } finally {
      client.close();
    }
  });

  it('hello.sleep honours its grant and its deadline', async () => {
    const slept = await invokeJson(running(), deviceId, 'hello.sleep', { ms: 200 });
    expect(slept.status).toBe('succeeded');
    expect(slept.output.sleptMs).toBeGreaterThanOrEqual(150);

    // Over the granted maxSleepMs (10 s in the example config): the plugin refuses.
    const denied = await runInvoke(running(), deviceId, 'hello.sleep', { ms: 20_000 });
    expectErrorLine(denied, 'PALYRA_E_CAPABILITY_DENIED', 77);
    expect(denied.stderr).toContain('maxSleepMs');

    const timedOut = await invokeJson(running(), deviceId, 'hello.sleep', { ms: 5_000 }, ['--timeout', '1s']);
    expect(timedOut).toMatchObject({ status: 'timed_out', error: { code: 'PALYRA_E_TIMEOUT', details: { plugin: 'hello', capability: 'hello.sleep' } } });
    expect(agent?.running).toBe(true);
  });
});
