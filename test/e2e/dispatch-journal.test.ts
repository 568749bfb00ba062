/**
 * The dispatch journal under faults, with real processes: a palyrad, a paired palyra-node
 * with the shell plugin, dispatches through the admin client and the CLI. Each shell.exec
 * appends its idempotency key to runs.log in the node's root before it sleeps, so the log
 * counts real runs.
 * - kill -9 of the daemon during a burst of keyed dispatches, more than the node's in-flight
 *   window so that some wait in the daemon's queue: after a restart on the same state dir
 *   every dispatch is in a recorded final state, those queued at the crash are
 *   daemon_restarted, and a retry of every key returns the recorded dispatch and runs nothing.
 * - SIGTERM with a dispatch running: `nodes invoke` ends with PALYRA_E_DAEMON_UNREACHABLE,
 *   not `cancelled`, the journal keeps the dispatch, the node runs it on, and after the restart
 *   `dispatches watch` gets its real result (the agent reconciles: it keeps the result until the daemon acknowledges it).
 * - `palyrad dispatches list|get|watch` through the CLI.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import type { DispatchView } from '../../daemon/src/client/dispatches.js';
import type { InvocationResult } from '../../daemon/src/client/invocation.js';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, type NodeRow } from '../helpers/daemonHarness.js';
import { parseInvokeJson, spawnInvoke, startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, pollUntil, stopProcesses, TempDirs } from '../helpers/processes.js';

/** Over the daemon's 64 dispatches in flight per node: the rest wait in its queue. */
const BURST = 90;
const FINAL = ['succeeded', 'failed', 'timed_out', 'cancelled', 'node_unavailable', 'rejected', 'daemon_restarted', 'unknown'];

const dirs = new TempDirs();
let daemon: DaemonProcess | undefined;
let deviceId = '';
let root = '';

beforeAll(async () => {
  const base = await dirs.make('palyra-e2e-journal-');
  root = join(base, 'root');
  await mkdir(root);
  daemon = await DaemonProcess.start(join(base, 'daemon'), ['--quic-listen', 'off']);
  const nodeDir = join(base, 'node');
  deviceId = await pairNode(daemon, nodeDir, 'journal-node');
  const configPath = await writeNodeConfig(base, { plugins: [{ use: 'shell', grants: { commands: ['sh'], roots: [root], timeoutMs: 120_000 } }] });
  await startAgent(nodeDir, configPath);
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

function running(): DaemonProcess {
  if (daemon === undefined) throw new Error('the daemon did not start');
  return daemon;
}

/** Restarts the daemon on its state dir and address (the node dials it again there), and waits for the node. */
async function restart(previous: DaemonProcess): Promise<DaemonProcess> {
  daemon = await DaemonProcess.start(previous.stateDir, ['--listen', previous.ready.grpc, '--quic-listen', 'off']);
  await pollUntil(
    async () => {
      const nodes = parseOneJson<NodeRow[]>(await running().cli('nodes', 'list', '--json'));
      return nodes.find((n) => n.deviceId === deviceId)?.status === 'online' ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: 'the node to reconnect after the restart' },
  );
  return daemon;
}

/** How many times each key ran on the node. */
async function runs(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const text = await readFile(join(root, 'runs.log'), 'utf8').catch(() => '');
  for (const key of text.split('\n').filter((line) => line !== '')) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

const shellInput = (key: string, seconds: number) => ({ command: 'sh', args: ['-c', `echo ${key} >> runs.log; sleep ${seconds}`] });

describe('the dispatch journal under faults (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('after kill -9 during keyed dispatches, every one ends in a recorded state and no key runs twice when retried', async () => {
    const before = running();
    const client = await ControlClient.connect(before.stateDir);
    const keys = Array.from({ length: BURST }, (_, i) => `burst-${i}`);
    const accepted = new Map<string, string>();
    // Each call through InvokeMany: its id arrives with `accepted`, then the stream dies with the daemon.
    const calls = keys.map(async (key) => {
      try {
        for await (const event of client.invoke({ deviceId, capability: 'shell.exec', input: shellInput(key, 3), timeoutMs: 120_000, idempotencyKey: key })) {
          if (event.type === 'accepted') accepted.set(key, event.dispatchId);
        }
      } catch {
        // The daemon went away: expected.
      }
    });
    await pollUntil(async () => ((await runs()).size > 0 && accepted.size === BURST ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 20,
      what: 'every dispatch accepted and the first one running',
    });
    before.process.signal('SIGKILL');
    await before.process.exited;
    await Promise.all(calls);
    client.close();

    const after = await restart(before);
    // Every dispatch reaches a recorded final state (a sent one whose node cannot say is unknown).
    const settled = await pollUntil(
      async () => {
        const ids = new Set(accepted.values());
        const views = parseOneJson<DispatchView[]>(await after.cli('dispatches', 'list', '--node', deviceId, '--limit', '1000', '--json')).filter((v) => ids.has(v.dispatchId));
        return views.length === ids.size && views.every((v) => FINAL.includes(v.state)) ? views : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'every dispatch to end in a recorded state' },
    );
    // Those still in the daemon's queue at the crash were never sent: daemon_restarted, never run.
    const restarted = settled.filter((v) => v.state === 'daemon_restarted');
    expect(restarted.length).toBeGreaterThan(0);
    const counted = await runs();
    for (const view of restarted) {
      expect(view.result?.error?.code).toBe('PALYRA_E_DAEMON_RESTARTED');
      expect(counted.get(view.idempotencyKey ?? '') ?? 0).toBe(0);
    }
    expect(parseOneJson<DispatchView[]>(await after.cli('dispatches', 'list', '--unfinished', '--json'))).toEqual([]);

    // Every key retried with the same input: the recorded dispatch comes back, nothing runs again.
    const retryClient = await ControlClient.connect(after.stateDir);
    try {
      const retried = await Promise.all(
        keys.map(async (key) => {
          let first: { dispatchId: string; deduplicated: boolean } | undefined;
          let result: InvocationResult | undefined;
          for await (const event of retryClient.invoke({ deviceId, capability: 'shell.exec', input: shellInput(key, 3), timeoutMs: 120_000, idempotencyKey: key })) {
            if (event.type === 'accepted') first = event;
            if (event.type === 'result') result = event.result;
          }
          return { key, first, result };
        }),
      );
      for (const { key, first, result } of retried) {
        expect(first, key).toEqual({ type: 'accepted', dispatchId: accepted.get(key), deduplicated: true });
        expect(result?.status, key).toBe(settled.find((v) => v.dispatchId === accepted.get(key))?.state);
      }
    } finally {
      retryClient.close();
    }
    const final = await runs();
    expect([...final.entries()].filter(([, count]) => count > 1)).toEqual([]);
  });

  it('SIGTERM with a dispatch running reports the daemon stopping, not cancelled, and the journal keeps it', async () => {
    const before = running();
    const invoke = spawnInvoke(before, deviceId, 'shell.exec', shellInput('sigterm', 4), ['--json', '--idempotency-key', 'sigterm']);
    await pollUntil(async () => ((await runs()).has('sigterm') ? true : undefined), { timeoutMs: 30_000, intervalMs: 50, what: 'the command to start' });
    const [row] = parseOneJson<DispatchView[]>(await before.cli('dispatches', 'list', '--unfinished', '--json'));
    expect(row).toMatchObject({ deviceId, capability: 'shell.exec', idempotencyKey: 'sigterm', caller: 'local' });
    expect(['sent', 'running']).toContain(row?.state);

    before.process.signal('SIGTERM');
    const ended = await invoke.waitForExit();
    expectErrorLine(ended, 'PALYRA_E_DAEMON_UNREACHABLE');
    expect(ended.stdout).not.toContain('cancelled');
    await before.process.exited;

    const after = await restart(before);
    const view = parseOneJson<DispatchView>(await after.cli('dispatches', 'get', row?.dispatchId ?? '', '--json'));
    // Never `cancelled`: the node (it reconciles) ran on through the restart.
    expect(['sent', 'running', 'succeeded']).toContain(view.state);
    // Re-attached after the restart: its real result, from this session or the node's outbox; it ran once.
    const watched = parseInvokeJson(await after.cli('dispatches', 'watch', row?.dispatchId ?? '', '--json'));
    expect(watched).toMatchObject({ dispatchId: row?.dispatchId, status: 'succeeded' });
    expect((await runs()).get('sigterm')).toBe(1);
  });

  it('lists, gets and watches dispatches through the CLI, live and recorded; an unknown id is PALYRA_E_DISPATCH_NOT_FOUND', async () => {
    const d = running();
    // The command runs until the test opens its gate (bounded: 30 s), so that it is still
    // unfinished when listed however slowly the CLI starts (a 1 s sleep lost that race).
    const gate = join(root, 'watch.gate');
    const script = 'echo watched; i=0; while [ ! -e watch.gate ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; echo done';
    const invoke = spawnInvoke(d, deviceId, 'shell.exec', { command: 'sh', args: ['-c', script] }, ['--json', '--idempotency-key', 'watched']);
    const row = await pollUntil(
      async () => parseOneJson<DispatchView[]>(await d.cli('dispatches', 'list', '--unfinished', '--node', deviceId, '--json')).find((v) => v.idempotencyKey === 'watched'),
      { timeoutMs: 30_000, intervalMs: 50, what: 'the dispatch to be listed' },
    );
    // Re-attached while it runs (or, if the gate opens first, from the record): the same
    // result as the invoking CLI gets.
    const watching = d.cli('dispatches', 'watch', row.dispatchId, '--json');
    await writeFile(gate, '');
    const watched = parseInvokeJson(await watching);
    const invoked = parseInvokeJson(await invoke.waitForExit());
    expect(watched).toMatchObject({ dispatchId: row.dispatchId, status: 'succeeded' });
    expect(invoked).toMatchObject({ dispatchId: row.dispatchId, status: 'succeeded' });
    expect(watched.output).toEqual(invoked.output);
    // Finished: watch prints the recorded result at once; get shows the row.
    expect(parseInvokeJson(await d.cli('dispatches', 'watch', row.dispatchId, '--json')).output).toEqual(invoked.output);
    const got = parseOneJson<DispatchView>(await d.cli('dispatches', 'get', row.dispatchId, '--json'));
    expect(got).toMatchObject({ dispatchId: row.dispatchId, state: 'succeeded', caller: 'local', resultTruncated: false });
    expect(got.result?.output).toEqual(invoked.output);
    const listed = parseOneJson<DispatchView[]>(await d.cli('dispatches', 'list', '--limit', '1', '--json'));
    expect(listed.map((v) => v.dispatchId)).toEqual([row.dispatchId]);

    for (const command of ['get', 'watch']) {
      const missing = await d.cli('dispatches', command, '01JZZZZZZZZZZZZZZZZZZZZZZZ');
      expectErrorLine(missing, 'PALYRA_E_DISPATCH_NOT_FOUND');
      expect(missing.code).toBe(68);
    }
  });
});
