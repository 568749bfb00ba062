/**
 * Output and progress a plugin writes right before it returns reach the caller, in order,
 * before the result. Real processes: a palyrad, a paired palyra-node running
 * test/fixtures/plugins/burst.js (its chunks written in one burst, nothing awaited between
 * them and the return), the example hello plugin and the shell plugin; the caller is
 * ControlClient.invoke (read to the end of its stream, not only to the result) and
 * `palyrad nodes invoke`. Repeated, and concurrent, since a reordering would be a race.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import type { InvocationEvent } from '../../daemon/src/client/invocation.js';
import { DaemonProcess, pairNode } from '../helpers/daemonHarness.js';
import { runInvoke, startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, stopProcesses, TempDirs, type RunningProcess } from '../helpers/processes.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/plugins/', import.meta.url));
const HELLO = fileURLToPath(new URL('../../examples/hello-plugin/index.js', import.meta.url));

const dirs = new TempDirs();
let daemon: DaemonProcess | undefined;
let agent: RunningProcess | undefined;
let client: ControlClient | undefined;
let deviceId = '';

function running(): DaemonProcess {
  if (daemon === undefined) throw new Error('the daemon did not start');
  return daemon;
}

function control(): ControlClient {
  if (client === undefined) throw new Error('the control client did not connect');
  return client;
}

/** Every event of one invocation, to the end of its stream. */
async function events(capability: string, input: unknown): Promise<InvocationEvent[]> {
  const seen: InvocationEvent[] = [];
  for await (const event of control().invoke({ deviceId, capability, input, timeoutMs: 60_000 })) seen.push(event);
  return seen;
}

const outputOf = (seen: InvocationEvent[]): string => seen.flatMap((e) => (e.type === 'output' ? [e.chunk.toString()] : [])).join('');
const progressOf = (seen: InvocationEvent[]): string[] => seen.flatMap((e) => (e.type === 'progress' ? [e.message] : []));
const kindsOf = (seen: InvocationEvent[]): string => seen.map((e) => e.type).join(',');

/** What burst.write writes: `chunks` lines of `bytes` padding each. */
function burstText(chunks: number, bytes = 0): string {
  return Array.from({ length: chunks }, (_, i) => `chunk ${i}${'x'.repeat(bytes)}\n`).join('');
}

/** One burst.write run: every line and every progress update, then the result, last and once. */
function expectBurst(seen: InvocationEvent[], chunks: number, bytes = 0, label = ''): void {
  const kinds = kindsOf(seen);
  expect(seen.at(-1), `${label} ${kinds}`).toMatchObject({ type: 'result', result: { status: 'succeeded', output: { chunks } } });
  expect(seen.filter((e) => e.type === 'result'), label).toHaveLength(1);
  // Compared as text: a chunk over 256 KiB travels as several messages.
  expect(outputOf(seen) === burstText(chunks, bytes), `${label} output incomplete or out of order: ${kinds}`).toBe(true);
  expect(progressOf(seen), `${label} ${kinds}`).toEqual(Array.from({ length: chunks }, (_, i) => `chunk ${i}`));
}

beforeAll(async () => {
  const base = await dirs.make('palyra-e2e-output-order-');
  const root = join(base, 'root');
  await mkdir(root);
  daemon = await DaemonProcess.start(join(base, 'daemon'));
  const nodeDir = join(base, 'node');
  deviceId = await pairNode(daemon, nodeDir, 'order-node');
  const configPath = await writeNodeConfig(base, {
    plugins: [
      { use: 'filesystem', enabled: false },
      { use: 'shell', grants: { commands: ['sh'], roots: [root] } },
      { use: 'browser', enabled: false },
      { use: join(FIXTURES, 'burst.js') },
      { use: HELLO },
    ],
  });
  agent = await startAgent(nodeDir, configPath);
  client = await ControlClient.connect(daemon.stateDir);
}, E2E_HOOK_TIMEOUT_MS);

afterEach(async () => {
  await stopProcesses([daemon?.process, agent]);
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  client?.close();
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('output written immediately before the result reaches the caller first', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('burst.write: every chunk and progress update, in order, then the result (25 runs)', async () => {
    for (let run = 0; run < 25; run += 1) expectBurst(await events('burst.write', { chunks: 20 }), 20, 0, `run ${run}:`);
  });

  it('burst.write: the same with ten calls at once, chunks up to 300 KiB (split on the node)', async () => {
    for (let round = 0; round < 5; round += 1) {
      const inputs = Array.from({ length: 10 }, (_, k) => ({ chunks: 3 + k, bytes: k === 9 ? 300 * 1024 : k * 1000 }));
      const runs = await Promise.all(inputs.map((input) => events('burst.write', input)));
      runs.forEach((seen, k) => expectBurst(seen, inputs[k]!.chunks, inputs[k]!.bytes, `round ${round} call ${k}:`));
    }
  });

  it('hello.greet (the example plugin): both chunks and both progress updates before the result (25 runs)', async () => {
    for (let run = 0; run < 25; run += 1) {
      const seen = await events('hello.greet', { name: 'Ada' });
      expect(seen.flatMap((e) => (e.type === 'output' ? [e.chunk.toString()] : [])), `run ${run}: ${kindsOf(seen)}`).toEqual(['Hello, ', 'Ada!\n']);
      expect(seen.filter((e) => e.type === 'progress'), `run ${run}: ${kindsOf(seen)}`).toEqual([
        { type: 'progress', ratio: 0.5, message: 'greeting half done' },
        { type: 'progress', ratio: 1, message: '' },
      ]);
      expect(seen.at(-1)).toMatchObject({ type: 'result', result: { status: 'succeeded', output: { greeting: 'Hello, Ada!' } } });
    }
  });

  it('shell.exec: lines printed right before the command exits are streamed before the result (20 runs)', async () => {
    const expected = Array.from({ length: 10 }, (_, i) => `line ${i + 1}\n`).join('');
    for (let run = 0; run < 20; run += 1) {
      const seen = await events('shell.exec', { command: 'sh', args: ['-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do echo "line $i"; done'] });
      expect(seen.at(-1), kindsOf(seen)).toMatchObject({ type: 'result', result: { status: 'succeeded', output: { exitCode: 0, stdout: expected } } });
      expect(outputOf(seen), `run ${run}: ${kindsOf(seen)}`).toBe(expected);
    }
  });

  it('palyrad nodes invoke prints every chunk, then the result', async () => {
    for (let run = 0; run < 3; run += 1) {
      const result = await runInvoke(running(), deviceId, 'burst.write', { chunks: 50 });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(`${burstText(50)}${JSON.stringify({ chunks: 50 }, null, 2)}\n`);
      expect(result.stderr.match(/progress 100% chunk 49/g)).toHaveLength(1);
    }
  });
});
