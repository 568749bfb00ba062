/**
 * Issue 17 part 7 through the built binaries: `palyrad start --metrics-listen` scraped after a
 * known sequence (a node paired, a request rejected, a wrong PIN, dispatches that succeed, fail
 * and are rejected, the node removed) shows exactly those counts; and the endpoint is off by
 * default.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess, pairNode, spawnJoin } from '../helpers/daemonHarness.js';
import { parseInvokeJson, runInvoke, startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_TEST_TIMEOUT_MS, pollUntil, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();

afterEach(async () => {
  await stopProcesses();
  await dirs.cleanup();
});

/** Samples of a Prometheus text exposition: `name{a="b",...}` to value. */
async function scrape(address: string): Promise<Map<string, number>> {
  const response = await fetch(`http://${address}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** Every sample's name and labels, for checks that a string appears nowhere. */
function text0(samples: Map<string, number>): string {
  return [...samples.keys()].join('\n');
}

/** The sum of a metric's samples whose labels include `labels` (exact text: `state="failed"`). */
function sum(samples: Map<string, number>, name: string, ...labels: string[]): number {
  let total = 0;
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    if ((brace === -1 ? key : key.slice(0, brace)) !== name) continue;
    if (labels.every((label) => key.includes(label))) total += value;
  }
  return total;
}

describe('metrics endpoint (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('counts pairings, dispatches and nodes exactly as they happened', async () => {
    const base = await dirs.make('palyra-e2e-metrics-');
    const root = join(base, 'root');
    await mkdir(root);
    const daemon = await DaemonProcess.start(join(base, 'daemon'), ['--metrics-listen', '127.0.0.1:0']);
    const address = (daemon.ready as { metrics?: string }).metrics ?? '';
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);

    let samples = await scrape(address);
    expect(sum(samples, 'palyra_nodes')).toBe(0);
    expect(sum(samples, 'palyra_pairing_outcomes_total')).toBe(0);
    expect(sum(samples, 'palyra_node_cert_earliest_expiry_seconds')).toBeNaN();
    expect(sum(samples, 'palyra_process_resident_memory_bytes')).toBeGreaterThan(0);

    // Pairing: one approved, one rejected, one wrong PIN.
    const nodeDir = join(base, 'node');
    const deviceId = await pairNode(daemon, nodeDir, 'metered-node');
    const rejecting = spawnJoin(join(base, 'rejected'), daemon, await daemon.mintPin(), ['--name', 'unwelcome']);
    const [, requestId] = await rejecting.waitFor(/\(request (\S+?)[,)]/);
    await rejecting.waitFor(/waiting for approval/);
    expect((await daemon.cli('nodes', 'reject', requestId ?? '')).code).toBe(0);
    await rejecting.waitForExit();
    const pin = await daemon.mintPin();
    const wrongPin = ((Number(pin) + 1) % 1_000_000).toString().padStart(6, '0');
    const guessing = spawnJoin(join(base, 'guessing'), daemon, wrongPin, ['--name', 'guesser']);
    expect((await guessing.waitForExit()).code).not.toBe(0);

    samples = await scrape(address);
    expect(sum(samples, 'palyra_pairing_outcomes_total', 'outcome="approved"')).toBe(1);
    expect(sum(samples, 'palyra_pairing_outcomes_total', 'outcome="rejected"')).toBe(1);
    expect(sum(samples, 'palyra_pairing_outcomes_total', 'outcome="failed"')).toBe(1);
    expect(sum(samples, 'palyra_pairing_outcomes_total', 'outcome="expired"')).toBe(0);
    expect(sum(samples, 'palyra_nodes', 'status="offline"', 'transport="none"')).toBe(1);
    expect(sum(samples, 'palyra_nodes_by_cert_state', 'state="valid"')).toBe(1);
    // Certificates last 24 h by default.
    const expiry = sum(samples, 'palyra_node_cert_earliest_expiry_seconds');
    expect(expiry).toBeGreaterThan(23 * 3600);
    expect(expiry).toBeLessThanOrEqual(24 * 3600);

    // Dispatches: two that succeed, one that fails on the node, one the daemon rejects.
    const configPath = await writeNodeConfig(base, { plugins: [{ use: 'filesystem', grants: { roots: [root], write: true } }] });
    await startAgent(nodeDir, configPath);
    await pollUntil(async () => (sum(await scrape(address), 'palyra_nodes', 'status="online"') === 1 ? true : undefined), { timeoutMs: 30_000, what: 'the node online in the metrics' });
    for (const content of ['one', 'two']) {
      expect(parseInvokeJson(await runInvoke(daemon, deviceId, 'fs.write', { path: `${content}.txt`, content }, ['--json'])).status).toBe('succeeded');
    }
    expect(parseInvokeJson(await runInvoke(daemon, deviceId, 'fs.read', { path: 'missing.txt' }, ['--json'])).status).toBe('failed');
    const refused = await runInvoke(daemon, deviceId, 'no.such.capability', {}, ['--json']);
    expect(refused.code).not.toBe(0);

    samples = await scrape(address);
    expect(sum(samples, 'palyra_dispatches_total', 'state="succeeded"', 'capability="fs.write"')).toBe(2);
    expect(sum(samples, 'palyra_dispatches_total', 'state="failed"', 'capability="fs.read"')).toBe(1);
    expect(sum(samples, 'palyra_dispatches_total', 'state="rejected"', 'capability="other"')).toBe(1);
    expect(text0(samples)).not.toContain('no.such.capability');
    const total = sum(samples, 'palyra_dispatches_total');
    expect(total).toBe(4);
    expect(sum(samples, 'palyra_dispatch_duration_seconds_count')).toBe(total);
    expect(sum(samples, 'palyra_dispatch_queue_depth')).toBe(0);
    expect(sum(samples, 'palyra_dispatches_in_flight')).toBe(0);
    expect(sum(samples, 'palyra_nodes', 'status="online"')).toBe(1);

    // Removing the node: nothing registered is left.
    expect((await daemon.cli('nodes', 'remove', deviceId)).code).toBe(0);
    samples = await scrape(address);
    expect(sum(samples, 'palyra_nodes')).toBe(0);
    expect(sum(samples, 'palyra_nodes_by_cert_state')).toBe(0);
    expect(sum(samples, 'palyra_node_cert_earliest_expiry_seconds')).toBeNaN();
    // Counters keep counting from the start.
    expect(sum(samples, 'palyra_dispatches_total')).toBe(total);
    // Nothing secret: no PIN and no device id in the exposition.
    const text = await (await fetch(`http://${address}/metrics`)).text();
    expect(text).not.toContain(pin);
    expect(text).not.toContain(deviceId);
    expect((await fetch(`http://${address}/`)).status).toBe(404);
  });

  it('is off by default, and PALYRA_METRICS_LISTEN turns it on', async () => {
    const base = await dirs.make('palyra-e2e-metrics-off-');
    const off = await DaemonProcess.start(join(base, 'off'));
    expect(Object.keys(off.ready)).not.toContain('metrics');
    await off.stop();
    const on = await DaemonProcess.start(join(base, 'on'), [], {}, { PALYRA_METRICS_LISTEN: '127.0.0.1:0' });
    const address = (on.ready as { metrics?: string }).metrics ?? '';
    expect(sum(await scrape(address), 'palyra_nodes')).toBe(0);
  });
});
