/**
 * Issue 15, part 3, through the built binaries: a node that was off past its certificate's
 * expiry comes back by itself inside the daemon's --renewal-grace (over server-authenticated
 * TLS, proving itself by its identity key), without pairing; one that comes back after the
 * grace stops with PALYRA_E_CERT_EXPIRED, telling the operator to pair it again.
 */
import { join } from 'node:path';
import { ERROR_CODES } from '@palyra/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, nodeCli, pairNode, type NodeRow } from '../helpers/daemonHarness.js';
import { invokeJson, startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { PALYRA_NODE, pollUntil, spawnBin, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();

afterEach(async () => {
  await stopProcesses();
  await dirs.cleanup();
});

const GRACE_MS = 20_000;

describe('a node that was off past its certificate expiry (real processes)', { timeout: 300_000 }, () => {
  it('renews over the grace path inside the grace, and is told to pair again after it', async () => {
    const base = await dirs.make('palyra-e2e-grace-');
    const daemon = await DaemonProcess.start(join(base, 'daemon'), ['--cert-validity', '1m', '--renewal-grace', `${GRACE_MS / 1000}s`]);
    const config = await writeNodeConfig(base, { plugins: [{ use: 'shell', grants: { commands: ['sh'], roots: [base] } }] });
    const inside = join(base, 'inside');
    const outside = join(base, 'outside');
    const [insideId, outsideId] = [await pairNode(daemon, inside, 'back-in-time'), await pairNode(daemon, outside, 'back-too-late')];
    const rows = async (): Promise<NodeRow[]> => parseOneJson<NodeRow[]>(await daemon.cli('nodes', 'list', '--json'));
    const expiry = async (id: string): Promise<number> => Date.parse((await rows()).find((n) => n.deviceId === id)?.certExpiresAt ?? '');
    const [insideExpiry, outsideExpiry] = [await expiry(insideId), await expiry(outsideId)];
    const firstFingerprint = (await rows()).find((n) => n.deviceId === insideId)?.certFingerprint;

    // Both nodes stay off until their certificates expired (waiting for the clock, not a fixed time).
    await pollUntil(async () => (Date.now() > insideExpiry + 1_000 ? true : undefined), { timeoutMs: 120_000, intervalMs: 200, what: 'the first certificate to expire' });
    const status = parseOneJson<{ certState: string }>(await nodeCli(inside, 'status', '--json'));
    expect(status.certState).toBe('expired');
    expect((await nodeCli(inside, 'status')).stdout).toMatch(/^cert {4}EXPIRED at /m);

    // Inside the grace: it renews by its identity key over server-authenticated TLS, then serves.
    const agent = await startAgent(inside, config);
    expect(agent.stdout).toMatch(/^palyra-node renewed path=grace expires=\S+$/m);
    const renewedRow = (await rows()).find((n) => n.deviceId === insideId);
    expect(renewedRow?.status).toBe('online');
    expect(renewedRow?.certFingerprint).not.toBe(firstFingerprint);
    expect(Date.parse(renewedRow?.certExpiresAt ?? '')).toBeGreaterThan(Date.now());
    const result = await invokeJson(daemon, insideId, 'shell.exec', { command: 'sh', args: ['-c', 'echo back'] });
    expect(result.status).toBe('succeeded');
    expect(parseOneJson<{ certState: string; lastRenewal: { path: string } }>(await nodeCli(inside, 'status', '--json'))).toMatchObject({ lastRenewal: { path: 'grace' } });

    // Past the grace: a coded refusal, and a message that says what to do.
    await pollUntil(async () => (Date.now() > outsideExpiry + GRACE_MS + 1_000 ? true : undefined), { timeoutMs: 120_000, intervalMs: 200, what: 'the grace to pass' });
    const late = spawnBin(PALYRA_NODE, ['run', '--state-dir', outside, '--config', config]);
    const exit = await late.waitForExit(60_000);
    expect(exit.code, exit.stderr).toBe(ERROR_CODES.PALYRA_E_CERT_EXPIRED.exitCode);
    expect(exit.stderr).toMatch(/PALYRA_E_CERT_EXPIRED/);
    expect(exit.stderr).toMatch(/pair it again/);
    expect(exit.stdout).not.toMatch(/palyra-node ready/);
    expect((await rows()).find((n) => n.deviceId === outsideId)?.status).toBe('offline');
  });
});
