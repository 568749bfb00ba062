/**
 * `palyrad start --cert-validity / --renewal-grace` (issue 15), with real processes: the
 * lifetime reaches the certificates pairing issues, a lifetime under 1h warns, the deprecated
 * --cert-validity-days still works and says so, and `config show` shows the settings.
 */
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, type NodeRow, type PairingCodeJson } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRA_NODE, PALYRAD, runBin, spawnBin, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();
afterEach(() => stopProcesses(), E2E_HOOK_TIMEOUT_MS);
afterAll(() => dirs.cleanup(), E2E_HOOK_TIMEOUT_MS);

async function joinQr(d: DaemonProcess, name: string): Promise<NodeRow> {
  const code = parseOneJson<PairingCodeJson>(await d.cli('pairing', 'code', '--method', 'qr', '--json'));
  const nodeDir = join(await dirs.make('palyra-e2e-lifetime-node-'), 'state');
  const joined = await spawnBin(PALYRA_NODE, ['join', '--qr', code.uri ?? '', '--state-dir', nodeDir, '--name', name]).waitForExit();
  expect(joined.code, joined.stderr).toBe(0);
  const node = parseOneJson<NodeRow[]>(await d.cli('nodes', 'list', '--json')).find((n) => n.name === name);
  if (node === undefined) throw new Error(`${name} is not listed`);
  return node;
}

describe('palyrad certificate lifetime flags (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('--cert-validity 10m: pairing issues a 10-minute certificate, and the daemon warns that such values are for tests', async () => {
    const d = await DaemonProcess.start(join(await dirs.make('palyra-e2e-lifetime-'), 'state'), ['--cert-validity', '10m', '--renewal-grace', '0', '--auto-approve', 'qr', '--quic-listen', 'off']);
    await d.process.waitFor(/warning: node certificates live only 600 s .*for tests/, undefined, 'stderr');
    const before = Date.now();
    const node = await joinQr(d, 'short-lived');
    const expiresAt = Date.parse(String(node.certExpiresAt));
    // Issued between `before` and now, for 10 minutes (notAfter in whole seconds).
    expect(expiresAt).toBeGreaterThanOrEqual(before + 10 * 60_000 - 1_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 10 * 60_000 + 1_000);
  });

  it('--cert-validity-days still works, deprecated; config show lists the settings with their sources', async () => {
    const d = await DaemonProcess.start(join(await dirs.make('palyra-e2e-lifetime-days-'), 'state'), ['--cert-validity-days', '2', '--auto-approve', 'qr', '--quic-listen', 'off']);
    await d.process.waitFor(/warning: --cert-validity-days .* is deprecated: use --cert-validity 2d/, undefined, 'stderr');
    const before = Date.now();
    const node = await joinQr(d, 'two-days');
    expect(Date.parse(String(node.certExpiresAt)) - before).toBeGreaterThan(2 * 86_400_000 - 120_000);

    const stateDir = join(await dirs.make('palyra-e2e-lifetime-cfg-'), 'state');
    const shown = parseOneJson<Record<string, { value: unknown; source: string }>>(
      await runBin(PALYRAD, ['config', 'show', '--json', '--state-dir', stateDir], { PALYRA_RENEWAL_GRACE: '7d' }),
    );
    expect(shown.certValidity).toEqual({ value: '24h', source: 'default' });
    expect(shown.renewalGrace).toEqual({ value: '7d', source: 'env' });
  });
});
