/**
 * Issue 17 part 4, with real processes: `palyrad nodes invoke --all|-l` fans one shell.exec out
 * to 20 paired agents: 12 that run it, 2 without the shell plugin (refused), 3 whose command
 * sleeps past --timeout, 3 offline. Checks every per-node result, the summary and the exit
 * codes, rolling batches, --max-failures, --wait-online (agents started after the invoke
 * began) and Ctrl-C (the running dispatches are cancelled on the nodes). One daemon and its
 * agents serve every test of the file.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import { expectErrorLine } from '../helpers/cliAssertions.js';
import { DaemonProcess, type NodeRow } from '../helpers/daemonHarness.js';
import { pidAlive, startAgent, waitForPidGone, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_HOOK_TIMEOUT_MS, PALYRA_NODE, PALYRAD, pollUntil, runBin, spawnBin, stopProcesses, TempDirs, type CommandResult, type RunningProcess } from '../helpers/processes.js';

type Role = 'ok' | 'refuse' | 'slow' | 'off';
interface FanNode {
  name: string;
  role: Role;
  root: string;
  stateDir: string;
  config: string;
  deviceId: string;
}
interface NodeResultJson {
  node: string;
  deviceId: string;
  dispatchId: string;
  status: string;
  exitCode?: number | null;
  output: { stdout?: string; exitCode?: number | null } | null;
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
  durationMs: number;
}
interface SummaryJson {
  summary: { total: number; succeeded: number; failed: number; cancelled: number; skipped: number; byStatus: Record<string, number> };
}

const ROLES: Role[] = [...Array<Role>(12).fill('ok'), 'refuse', 'refuse', 'slow', 'slow', 'slow', 'off', 'off', 'off'];
const dirs = new TempDirs();
let daemon: DaemonProcess;
const nodes: FanNode[] = [];
/** Agents that run for the whole file (the offline ones are not among them). */
const agents: RunningProcess[] = [];

function role(r: Role): FanNode[] {
  return nodes.filter((n) => n.role === r);
}

function fanout(args: string[]): Promise<CommandResult> {
  return runBin(PALYRAD, ['nodes', 'invoke', ...args, '--state-dir', daemon.stateDir]);
}

function shell(script: string): string[] {
  return ['--input', JSON.stringify({ command: 'sh', args: ['-c', script] })];
}

/** The JSON Lines of a fan-out: the node results, then the summary (last line). */
function parseLines(result: CommandResult): { results: NodeResultJson[]; summary: SummaryJson['summary'] } {
  const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as NodeResultJson | SummaryJson);
  const last = lines.pop() as SummaryJson;
  expect(last.summary, result.stdout).toBeDefined();
  return { results: lines as NodeResultJson[], summary: last.summary };
}

function byName(results: NodeResultJson[]): Map<string, NodeResultJson> {
  return new Map(results.map((r) => [r.node, r]));
}

beforeAll(async () => {
  const base = await dirs.make('palyra-e2e-fanout-');
  daemon = await DaemonProcess.start(join(base, 'daemon'), ['--auto-approve', 'all', '--quic-listen', 'off']);
  // Each node with its own QR code (QR codes do not replace each other as PINs do), auto-approved,
  // then its agent started: 5 nodes at a time, which two shared cores take without stalling.
  // The codes come from one in-process client: 20 `pairing code` processes cost seconds of CPU.
  const client = await ControlClient.connect(daemon.stateDir);
  const pending = ROLES.map((r, i) => ({ r, i }));
  const worker = async (): Promise<void> => {
    for (let item = pending.shift(); item !== undefined; item = pending.shift()) {
      const { r, i } = item;
      const name = `fan-${String(i).padStart(2, '0')}`;
      const dir = join(base, name);
      const root = join(dir, 'root');
      await mkdir(root, { recursive: true });
      if (r === 'slow') await writeFile(join(root, 'delay'), '30');
      const plugins = r === 'refuse' ? [{ use: 'filesystem', grants: { roots: [root] } }] : [{ use: 'shell', grants: { commands: ['sh'], roots: [root], timeoutMs: 120_000 } }];
      const config = await writeNodeConfig(dir, { plugins });
      const stateDir = join(dir, 'state');
      const code = await client.createPairingCode({ method: 'qr' });
      const joined = await spawnBin(PALYRA_NODE, ['join', '--qr', code.uri, '--state-dir', stateDir, '--name', name]).waitForExit(90_000);
      if (joined.code !== 0) throw new Error(`join ${name}: ${joined.stderr}`);
      nodes.push({ name, role: r, root, stateDir, config, deviceId: '' });
      if (r !== 'off') agents.push(await startAgent(stateDir, config));
    }
  };
  try {
    await Promise.all(Array.from({ length: 5 }, worker));
  } finally {
    client.close();
  }
  nodes.sort((a, b) => a.name.localeCompare(b.name));
  const listed = await daemon.json<NodeRow[]>('nodes', 'list');
  for (const n of nodes) n.deviceId = listed.find((row) => row.name === n.name)?.deviceId ?? '';
}, E2E_HOOK_TIMEOUT_MS);

afterEach(() => stopProcesses([daemon?.process, ...agents]), E2E_HOOK_TIMEOUT_MS);
afterAll(async () => {
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('palyrad nodes invoke --all|-l: fan-out to 20 real agents', { timeout: 90_000 }, () => {
  it('reports every node: successes, refusals, timeouts, offline nodes; the summary; exit 2', async () => {
    const result = await fanout(['--all', 'shell.exec', ...shell('echo "hello from $(basename "$(dirname "$PWD")")"; sleep "$(cat delay 2>/dev/null || echo 0)"'), '--timeout', '3s', '--json']);
    expectErrorLine(result, 'PALYRA_E_FANOUT_FAILED', 2);
    const { results, summary } = parseLines(result);
    expect(results).toHaveLength(20);
    const got = byName(results);
    for (const n of nodes) {
      const r = got.get(n.name);
      expect(r, n.name).toBeDefined();
      expect(r!.deviceId).toBe(n.deviceId);
      expect(Object.keys(r!).sort()).toEqual([...(n.role === 'ok' ? ['exitCode'] : []), 'dispatchId', 'deviceId', 'durationMs', 'error', 'node', 'output', 'status'].sort());
      if (n.role === 'ok') {
        expect(r).toMatchObject({ status: 'succeeded', exitCode: 0, error: null });
        expect(r!.output?.stdout).toBe(`hello from ${n.name}\n`);
      } else if (n.role === 'refuse') {
        // The node refuses: its config grants no `sh`.
        expect(r).toMatchObject({ status: 'failed', output: null, error: { code: 'PALYRA_E_CAPABILITY_DENIED', details: { command: 'sh', capability: 'shell.exec' } } });
      } else if (n.role === 'slow') {
        expect(r).toMatchObject({ status: 'timed_out', output: null, error: { code: 'PALYRA_E_TIMEOUT' } });
        expect(r!.durationMs).toBeGreaterThanOrEqual(2_900);
      } else {
        expect(r).toMatchObject({ status: 'node_unavailable', error: { code: 'PALYRA_E_NODE_UNAVAILABLE' } });
      }
    }
    expect(summary).toMatchObject({ total: 20, succeeded: 12, failed: 8, cancelled: 0, skipped: 0, byStatus: { succeeded: 12, failed: 2, timed_out: 3, node_unavailable: 3 } });
  });

  it('text: output lines behind each node name, a summary table and counts', async () => {
    const result = await fanout(['--all', 'shell.exec', ...shell('echo one; echo two'), '--timeout', '10s']);
    expectErrorLine(result, 'PALYRA_E_FANOUT_FAILED', 2);
    expect(result.stderr).toMatch(/5 of 20 nodes did not succeed \(5 failed, 0 cancelled, 0 skipped\)/);
    const lines = result.stdout.split('\n');
    for (const n of role('ok').concat(role('slow'))) {
      expect(lines).toContain(`${n.name} | one`);
      expect(lines).toContain(`${n.name} | two`);
      expect(lines.some((l) => new RegExp(`^${n.name}\\s+succeeded\\s+0\\s+\\d`).test(l)), n.name).toBe(true);
    }
    for (const n of role('refuse')) expect(lines.some((l) => l.startsWith(`${n.name} | error PALYRA_E_CAPABILITY_DENIED: failed: command "sh" is not allowed`))).toBe(true);
    for (const n of role('off')) {
      expect(lines).toContain(`${n.name} | error PALYRA_E_NODE_UNAVAILABLE: node_unavailable: node ${n.deviceId} is offline`);
      expect(lines.some((l) => new RegExp(`^${n.name}\\s+node_unavailable\\s+-\\s+\\d`).test(l))).toBe(true);
    }
    expect(lines).toContain(lines.find((l) => /^NODE\s+STATUS\s+EXIT\s+DURATION$/.test(l)));
    expect(result.stdout).toMatch(/^20 nodes: 15 succeeded, 5 failed, 0 cancelled, 0 skipped \(/m);
    expect(result.stdout).not.toContain('\u001b[');
  });

  it('rolling batches: the next batch starts when every node of the previous one has finished', async () => {
    const result = await fanout(['--all', 'shell.exec', ...shell('date +%s%N; sleep 0.4; date +%s%N'), '--batch', '25%', '--json']);
    const { results, summary } = parseLines(result);
    expect(summary).toMatchObject({ total: 20, succeeded: 15 });
    // The results come batch by batch (5 nodes each); each ran node printed its start and end.
    const spans = (k: number): Array<[number, number]> =>
      results
        .slice(k * 5, k * 5 + 5)
        .filter((r) => r.status === 'succeeded')
        .map((r) => r.output!.stdout!.trim().split('\n').map(Number) as [number, number]);
    for (let k = 0; k < 3; k += 1) {
      const before = spans(k);
      const after = spans(k + 1);
      if (before.length === 0 || after.length === 0) continue;
      expect(Math.min(...after.map(([start]) => start))).toBeGreaterThan(Math.max(...before.map(([, end]) => end)));
    }
    // Within a batch they ran at once.
    const first = [0, 1, 2, 3].map(spans).find((s) => s.length >= 2)!;
    expect(Math.max(...first.map(([start]) => start))).toBeLessThan(Math.min(...first.map(([, end]) => end)));
  });

  it('--max-failures: nothing starts after N failures; the rest are skipped', async () => {
    const journalSize = async (): Promise<number> => (await daemon.json<unknown[]>('dispatches', 'list', '--limit', '10000')).length;
    const before = await journalSize();
    const result = await fanout(['--all', 'shell.exec', ...shell('exit 3'), '--concurrency', '1', '--max-failures', '2', '--json']);
    expectErrorLine(result, 'PALYRA_E_FANOUT_FAILED', 2);
    const { results, summary } = parseLines(result);
    expect(results).toHaveLength(20);
    for (const r of results.slice(0, 2)) {
      expect(r.status).not.toBe('skipped');
      if (r.status === 'succeeded') expect(r.exitCode).toBe(3);
    }
    for (const r of results.slice(2)) expect(r).toMatchObject({ status: 'skipped', dispatchId: '', output: null, error: { code: 'PALYRA_E_FANOUT_FAILED' } });
    expect(summary).toMatchObject({ total: 20, succeeded: 0, failed: 2, skipped: 18 });
    // Skipped nodes were never dispatched to: the journal holds two more dispatches, no more.
    expect((await journalSize()) - before).toBe(2);
  });

  it('--wait-online: offline nodes started after the invoke began are dispatched to', async () => {
    const offline = role('off');
    const cli = spawnBin(PALYRAD, ['nodes', 'invoke', '--all', 'shell.exec', ...shell('echo late'), '--wait-online', '60s', '--json', '--state-dir', daemon.stateDir]);
    // The invoke has found them offline once (a node_unavailable dispatch each), then waits.
    await pollUntil(async () => {
      const journal = await daemon.json<Array<{ deviceId: string; state: string }>>('dispatches', 'list', '--limit', '200');
      return offline.every((n) => journal.some((d) => d.deviceId === n.deviceId && d.state === 'node_unavailable')) ? true : undefined;
    }, { what: 'a refused dispatch to every offline node' });
    expect(cli.running).toBe(true);
    const late = await Promise.all(offline.map((n) => startAgent(n.stateDir, n.config)));
    try {
      const result = await cli.waitForExit(60_000);
      expectErrorLine(result, 'PALYRA_E_FANOUT_FAILED', 2);
      const { results, summary } = parseLines(result);
      const got = byName(results);
      for (const n of offline) expect(got.get(n.name)).toMatchObject({ status: 'succeeded', exitCode: 0, output: { stdout: 'late\n' } });
      expect(summary).toMatchObject({ total: 20, succeeded: 18, failed: 2 });
    } finally {
      await Promise.all(late.map((agent) => agent.stop()));
    }
  });

  it('Ctrl-C cancels every running dispatch on its node; exit 130', async () => {
    const running = [...role('ok'), ...role('slow')];
    const cli = spawnBin(PALYRAD, ['nodes', 'invoke', '--all', 'shell.exec', ...shell('echo $$ > pid; exec sleep 60'), '--timeout', '80s', '--json', '--state-dir', daemon.stateDir]);
    const pids = await pollUntil(async () => {
      const read = await Promise.all(running.map((n) => readFile(join(n.root, 'pid'), 'utf8').catch(() => '')));
      return read.every((text) => /^\d+\n$/.test(text)) ? read.map(Number) : undefined;
    }, { what: 'every running node started its command' });
    cli.signal('SIGINT');
    const result = await cli.waitForExit(30_000);
    expectErrorLine(result, 'PALYRA_E_CANCELLED', 130, { logs: true });
    const { results, summary } = parseLines(result);
    const got = byName(results);
    for (const n of running) expect(got.get(n.name)).toMatchObject({ status: 'cancelled', error: { code: 'PALYRA_E_CANCELLED' } });
    expect(summary).toMatchObject({ total: 20, cancelled: 15, failed: 5 });
    // The node side: each command was killed, and the journal records the dispatch cancelled.
    await Promise.all(pids.map((pid) => waitForPidGone(pid, 'a cancelled command')));
    const ids = running.map((n) => got.get(n.name)!.dispatchId);
    expect(ids.every((id) => id !== '')).toBe(true);
    await pollUntil(async () => {
      const journal = await daemon.json<Array<{ dispatchId: string; state: string }>>('dispatches', 'list', '--limit', '500');
      return ids.every((id) => journal.some((d) => d.dispatchId === id && d.state === 'cancelled')) ? true : undefined;
    }, { what: 'every running dispatch recorded cancelled' });
    expect(pids.some(pidAlive)).toBe(false);
  });

  it('-l SELECTOR: only the matching nodes; none matching is PALYRA_E_NO_NODES_MATCH; a bad selector points at it', async () => {
    const result = await fanout(['-l', 'name in (fan-00,fan-01,fan-14)', 'shell.exec', ...shell('echo picked'), '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const { results, summary } = parseLines(result);
    expect(results.map((r) => r.node).sort()).toEqual(['fan-00', 'fan-01', 'fan-14']);
    for (const r of results) expect(r).toMatchObject({ status: 'succeeded', exitCode: 0, output: { stdout: 'picked\n' } });
    expect(summary).toMatchObject({ total: 3, succeeded: 3, failed: 0, skipped: 0 });
    const none = await fanout(['-l', 'name=nothing-here', 'shell.exec', '--json']);
    expectErrorLine(none, 'PALYRA_E_NO_NODES_MATCH', 68);
    expect(none.stdout).toBe('');
    expectErrorLine(await fanout(['-l', 'name in (a', 'shell.exec']), 'PALYRA_E_SELECTOR_INVALID', 65);
  });

  it('usage errors', async () => {
    for (const args of [
      ['--all', 'fan-00', 'shell.exec'],
      ['--all', 'shell.exec', '--batch', '0'],
      ['--all', 'shell.exec', '--batch', '101%'],
      ['--all', 'shell.exec', '--concurrency', '0'],
      ['-l', '', 'shell.exec'],
      ['-l', 'a=b', '--all', 'shell.exec'],
      [nodes[0]!.deviceId, 'shell.exec', '--max-failures', '1'],
    ]) {
      expectErrorLine(await fanout(args), 'PALYRA_E_USAGE', 64);
    }
  });
});
