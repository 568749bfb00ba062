/**
 * Issue 14, fault test through the built binaries: kill -9 of the daemon exactly as the 60th
 * of 200 mixed dispatches is accepted (fs.read and fs.list of small files, shell.exec short,
 * longer and held on a gate; half with idempotency keys, half without; all concurrent through
 * one ControlClient). Each shell.exec appends its token to runs.log when it starts and to
 * done.log when it ends, so the logs count real runs. The gate holds some commands running
 * across the kill: they finish with the daemon down, their results wait in the node's outbox.
 * After a restart on the same state dir and address: the database passes quick_check, every
 * accepted dispatch is in a recorded final state, a command that ran is `succeeded` (its
 * result delivered), one that did not is `daemon_restarted`, nothing is unfinished, and every
 * key retried returns the recorded dispatch and never runs twice.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import type { DispatchView } from '../../daemon/src/client/dispatches.js';
import type { InvocationResult } from '../../daemon/src/client/invocation.js';
import { parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, stateDatabase, type NodeRow } from '../helpers/daemonHarness.js';
import { startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, pollUntil, stopProcesses, TempDirs, type RunningProcess } from '../helpers/processes.js';

const TOTAL = 200;
const KILL_AT = 60;
/** Sent (and running, for the gated ones) before the rest, so that commands run across the kill. */
const FIRST_WAVE = 40;
const FILES = 10;

const dirs = new TempDirs();
let daemon: DaemonProcess | undefined;
let agent: RunningProcess | undefined;
let deviceId = '';
let root = '';
let nodeDir = '';

beforeAll(async () => {
  const base = await dirs.make('palyra-e2e-mixed-kill-');
  root = join(base, 'root');
  await mkdir(join(root, 'files'), { recursive: true });
  for (let i = 0; i < FILES; i += 1) await writeFile(join(root, 'files', `f${i}.txt`), `file ${i}\n`);
  daemon = await DaemonProcess.start(join(base, 'daemon'), ['--quic-listen', 'off']);
  nodeDir = join(base, 'node');
  deviceId = await pairNode(daemon, nodeDir, 'mixed-node');
  const configPath = await writeNodeConfig(base, {
    plugins: [
      { use: 'shell', grants: { commands: ['sh'], roots: [root], timeoutMs: 120_000 } },
      { use: 'filesystem', grants: { roots: [root] } },
    ],
  });
  agent = await startAgent(nodeDir, configPath);
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

interface Planned {
  index: number;
  capability: 'fs.read' | 'fs.list' | 'shell.exec';
  input: unknown;
  /** The idempotency key, for half of them. */
  key: string | undefined;
  /** What a shell.exec writes to runs.log and done.log. */
  token: string | undefined;
}

function plan(index: number): Planned {
  const key = index % 2 === 0 ? `mixed-${index}` : undefined;
  const token = key ?? `free-${index}`;
  const shell = (wait: string) => ({ command: 'sh', args: ['-c', `echo ${token} >> runs.log; ${wait}; echo ${token} >> done.log`] });
  switch (index % 5) {
    case 0:
      return { index, capability: 'fs.read', input: { path: `files/f${index % FILES}.txt` }, key, token: undefined };
    case 1:
      return { index, capability: 'fs.list', input: { path: 'files' }, key, token: undefined };
    case 2:
      return { index, capability: 'shell.exec', input: shell('sleep 0.1'), key, token };
    case 3:
      return { index, capability: 'shell.exec', input: shell('sleep 1'), key, token };
    default:
      // Held until the test opens the gate, after the kill: these finish with the daemon down.
      return { index, capability: 'shell.exec', input: shell('until [ -e gate ]; do sleep 0.05; done'), key, token };
  }
}

async function lines(file: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const text = await readFile(join(root, file), 'utf8').catch(() => '');
  for (const line of text.split('\n').filter((l) => l !== '')) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

function running(): DaemonProcess {
  if (daemon === undefined) throw new Error('the daemon did not start');
  return daemon;
}

describe('kill -9 of the daemon during 200 mixed dispatches (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('kill -9 as the 60th is accepted: the store is intact, every accepted dispatch ends recorded, finished results are delivered, no key runs twice', async () => {
    const before = running();
    const planned = Array.from({ length: TOTAL }, (_, i) => plan(i));
    const client = await ControlClient.connect(before.stateDir);
    const accepted = new Map<number, string>();
    let acceptedEvents = 0;
    const call = async (p: Planned) => {
      try {
        for await (const event of client.invoke({ deviceId, capability: p.capability, input: p.input, timeoutMs: 120_000, idempotencyKey: p.key })) {
          if (event.type !== 'accepted') continue;
          accepted.set(p.index, event.dispatchId);
          acceptedEvents += 1;
          // Exactly as the 60th is accepted: from its handler.
          if (acceptedEvents === KILL_AT) before.process.signal('SIGKILL');
        }
      } catch {
        // The daemon went away: expected.
      }
    };
    const first = planned.slice(0, FIRST_WAVE).map(call);
    // A gated command runs on the node before the rest go: it runs across the kill.
    const gatedRunning = await pollUntil(
      async () => {
        const started = await lines('runs.log');
        return planned.some((p) => p.index % 5 === 4 && started.has(p.token ?? '')) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 20, what: 'a gated command running' },
    );
    expect(gatedRunning).toBe(true);
    expect(acceptedEvents).toBeLessThan(KILL_AT);
    const rest = planned.slice(FIRST_WAVE).map(call);
    await before.process.exited;
    await Promise.all([...first, ...rest]);
    client.close();
    expect(acceptedEvents).toBeGreaterThanOrEqual(KILL_AT);

    // The node notices, then the commands it runs finish with the daemon down.
    await agent?.waitFor(/retrying in/, 30_000, 'stderr');
    await writeFile(join(root, 'gate'), '');
    const ran = await pollUntil(
      async () => {
        const [started, done] = [await lines('runs.log'), await lines('done.log')];
        return [...started.keys()].every((t) => done.has(t)) ? started : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'every started command to finish' },
    );
    // The gated commands that started could only finish after the kill: each result waits in
    // the node's outbox (written once the command's process has exited, after its done.log line).
    const gated = planned.filter((p) => p.index % 5 === 4 && ran.has(p.token ?? '')).length;
    expect(gated).toBeGreaterThan(0);
    await pollUntil(
      async () => ((await readdir(join(nodeDir, 'outbox'))).filter((name) => name.endsWith('.json')).length >= gated ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 100, what: `the ${gated} gated results in the outbox` },
    );

    const after = await DaemonProcess.start(before.stateDir, ['--listen', before.ready.grpc, '--quic-listen', 'off']);
    daemon = after;
    const db = new Database(stateDatabase(after.stateDir), { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('quick_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    await pollUntil(
      async () => (parseOneJson<NodeRow[]>(await after.cli('nodes', 'list', '--json')).find((n) => n.deviceId === deviceId)?.status === 'online' ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 200, what: 'the node to reconnect after the restart' },
    );
    // Nothing left unfinished, the delivered outbox acknowledged and emptied.
    const views = await pollUntil(
      async () => {
        const unfinished = parseOneJson<DispatchView[]>(await after.cli('dispatches', 'list', '--unfinished', '--json'));
        const left = (await readdir(join(nodeDir, 'outbox'))).filter((name) => name.endsWith('.json'));
        if (unfinished.length > 0 || left.length > 0) return undefined;
        return parseOneJson<DispatchView[]>(await after.cli('dispatches', 'list', '--node', deviceId, '--limit', '1000', '--json'));
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'every dispatch to end and the outbox to empty' },
    );
    // What ran, now that everything ended: a command the node had received but not yet started
    // at the kill may have started after the snapshot above.
    const ranAll = await lines('runs.log');
    expect(await lines('done.log')).toEqual(ranAll);
    const byId = new Map(views.map((v) => [v.dispatchId, v]));
    expect(views.length).toBeLessThanOrEqual(TOTAL);
    for (const [index, id] of accepted) {
      const p = planned[index] as Planned;
      const view = byId.get(id);
      expect(view, `dispatch ${index} (${id})`).toBeDefined();
      expect(view?.capability).toBe(p.capability);
      expect(view?.idempotencyKey).toBe(p.key ?? null);
      // A dispatch the daemon recorded as sent whose bytes the kill cut off (or that reached the
      // node after it saw its session end, so it started nothing) was never run, and the node's
      // next hello does not list it: `unknown` is the honest state then, as for one the node lost.
      if (p.token !== undefined) {
        // A command that ran (finished, with the daemon up or down) is delivered; one that did not is daemon_restarted (or unknown, above).
        const runs = ranAll.get(p.token) ?? 0;
        expect(runs, `runs of ${p.token}`).toBeLessThanOrEqual(1);
        if (runs === 1) expect(view?.state, `${p.token} ran once`).toBe('succeeded');
        else expect(['daemon_restarted', 'unknown'], `${p.token} never ran`).toContain(view?.state);
      } else {
        expect(['succeeded', 'daemon_restarted', 'unknown'], `${index} ${p.capability}`).toContain(view?.state);
      }
      if (view?.state === 'daemon_restarted') expect(view.result?.error?.code).toBe('PALYRA_E_DAEMON_RESTARTED');
      if (view?.state === 'unknown') expect(view.result?.error?.code).toBe('PALYRA_E_DISPATCH_UNKNOWN');
      if (view?.state === 'succeeded' && p.capability === 'fs.read') expect(view.result?.output).toMatchObject({ content: `file ${index % FILES}\n` });
    }
    // A delivered outbox result among them: a gated command that finished with the daemon down.
    expect(planned.some((p) => p.index % 5 === 4 && accepted.has(p.index) && byId.get(accepted.get(p.index) ?? '')?.state === 'succeeded')).toBe(true);

    // Every key retried with the same request: the recorded dispatch when it was recorded, and no second run.
    const retryClient = await ControlClient.connect(after.stateDir);
    try {
      const keyed = planned.filter((p) => p.key !== undefined);
      const retried = await Promise.all(
        keyed.map(async (p) => {
          let first: { dispatchId: string; deduplicated: boolean } | undefined;
          let result: InvocationResult | undefined;
          for await (const event of retryClient.invoke({ deviceId, capability: p.capability, input: p.input, timeoutMs: 120_000, idempotencyKey: p.key })) {
            if (event.type === 'accepted') first = event;
            if (event.type === 'result') result = event.result;
          }
          return { p, first, result };
        }),
      );
      for (const { p, first, result } of retried) {
        const recorded = views.find((v) => v.idempotencyKey === p.key);
        if (recorded === undefined) {
          // Never journalled before the kill: a new dispatch that runs now.
          expect(first?.deduplicated, p.key).toBe(false);
          expect(result?.status, p.key).toBe('succeeded');
          continue;
        }
        expect(first, p.key).toEqual({ type: 'accepted', dispatchId: recorded.dispatchId, deduplicated: true });
        expect(result?.status, p.key).toBe(recorded.state);
      }
    } finally {
      retryClient.close();
    }
    const final = await lines('runs.log');
    expect([...final.entries()].filter(([, count]) => count > 1)).toEqual([]);
    for (const p of planned.filter((q) => q.key !== undefined && q.token !== undefined)) {
      const recorded = views.find((v) => v.idempotencyKey === p.key);
      // A recorded key that did not run then never runs on a retry either.
      if (recorded?.state === 'daemon_restarted') expect(final.get(p.token ?? '') ?? 0, p.key).toBe(0);
    }
  });
});
