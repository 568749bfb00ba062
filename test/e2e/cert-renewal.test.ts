/**
 * Issue 15 through the built binaries, with 1-minute certificates: a node renews itself again
 * and again while dispatches run the whole time (one long dispatch spans every switch, short
 * ones run back to back), and none fails; `palyra-node status` shows the schedule.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, nodeCli, pairNode, type NodeRow } from '../helpers/daemonHarness.js';
import { invokeJson, spawnInvoke, startAgent, writeNodeConfig, type InvokeJson } from '../helpers/dispatchHarness.js';
import { stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();

afterEach(async () => {
  await stopProcesses();
  await dirs.cleanup();
});

const RENEWED = /^palyra-node renewed path=(mtls|grace) expires=(\S+)$/gm;

describe('certificate renewal (real processes, 1-minute certificates)', { timeout: 300_000 }, () => {
  it('keeps a node online across three renewals with dispatches running the whole time, none failing', async () => {
    const base = await dirs.make('palyra-e2e-renewal-');
    const root = join(base, 'root');
    await mkdir(root);
    const daemon = await DaemonProcess.start(join(base, 'daemon'), ['--cert-validity', '1m']);
    const nodeDir = join(base, 'node');
    const deviceId = await pairNode(daemon, nodeDir, 'renewing-node');
    const config = await writeNodeConfig(base, { plugins: [{ use: 'shell', grants: { commands: ['sh'], roots: [root], timeoutMs: 280_000 } }] });
    const agent = await startAgent(nodeDir, config);
    const fingerprints = new Set<string>();
    const row = async (): Promise<NodeRow | undefined> => parseOneJson<NodeRow[]>(await daemon.cli('nodes', 'list', '--json')).find((n) => n.deviceId === deviceId);
    fingerprints.add((await row())?.certFingerprint ?? '');

    // One dispatch that runs across every switch (its result goes up on whichever session is current).
    const gate = join(root, 'gate');
    const long = spawnInvoke(daemon, deviceId, 'shell.exec', { command: 'sh', args: ['-c', `until [ -e ${gate} ]; do sleep 0.05; done; echo long`] }, ['--timeout', '280s', '--json']);
    const results: InvokeJson[] = [];
    while ([...agent.stdout.matchAll(RENEWED)].length < 3) {
      results.push(await invokeJson(daemon, deviceId, 'shell.exec', { command: 'sh', args: ['-c', 'echo short'] }));
      const current = (await row())?.certFingerprint;
      if (current !== undefined) fingerprints.add(current);
    }
    await writeFile(gate, '');
    const longResult = JSON.parse((await long.waitForExit(60_000)).stdout) as InvokeJson;
    // A few more after the last switch.
    for (let i = 0; i < 3; i += 1) results.push(await invokeJson(daemon, deviceId, 'shell.exec', { command: 'sh', args: ['-c', 'echo short'] }));

    expect(longResult.status, JSON.stringify(longResult)).toBe('succeeded');
    expect(longResult.output.stdout).toBe('long\n');
    const failed = results.filter((r) => r.status !== 'succeeded');
    expect(failed, `${results.length} short dispatches`).toEqual([]);
    expect(results.length).toBeGreaterThan(10);
    const renewals = [...agent.stdout.matchAll(RENEWED)];
    expect(renewals.map((m) => m[1])).toEqual(['mtls', 'mtls', 'mtls']);
    // Each renewal is a new certificate the daemon knows, and the node was never refused.
    const final = await row();
    fingerprints.add(final?.certFingerprint ?? '');
    expect(fingerprints.size).toBeGreaterThanOrEqual(4);
    expect(final?.status).toBe('online');
    expect(final?.certExpiresAt).toBe(renewals.at(-1)?.[2]);
    expect(agent.running).toBe(true);
    expect(agent.stderr).not.toMatch(/PALYRA_E_(PERMISSION_DENIED|UNAUTHENTICATED|CERT_EXPIRED|RENEWAL_REFUSED)/);

    const status = parseOneJson<{ certState: string; certExpiresAt: string; nextRenewalAt: string | null; lastRenewal: { result: string; path: string } | null }>(
      await nodeCli(nodeDir, 'status', '--json'),
    );
    expect(status.certState).toMatch(/^(valid|expiring|renewing)$/);
    expect(status.lastRenewal).toMatchObject({ result: 'renewed', path: 'mtls' });
    expect(Date.parse(status.nextRenewalAt ?? '')).toBeLessThan(Date.parse(status.certExpiresAt));
    const human = await nodeCli(nodeDir, 'status');
    expect(human.stdout).toMatch(/^renewal next \S+; last renewed at \S+ \(mtls\)$/m);
  });
});
