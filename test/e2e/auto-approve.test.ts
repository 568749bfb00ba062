/**
 * `palyrad start --auto-approve`, with real processes: a `palyra-node join --qr` completes with
 * no operator step, the daemon says so at start and for every approval, and `status` and
 * `config show` show the setting; the audit log names the daemon as the approver.
 */
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, type DaemonStatusJson, type NodeRow, type PairingCodeJson } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRA_NODE, PALYRAD, pollUntil, runBin, spawnBin, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();
afterEach(() => stopProcesses(), E2E_HOOK_TIMEOUT_MS);
afterAll(() => dirs.cleanup(), E2E_HOOK_TIMEOUT_MS);

describe('palyrad --auto-approve (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('qr: a node joins with a QR code and no operator; status and the log say so', async () => {
    const d = await DaemonProcess.start(join(await dirs.make('palyra-e2e-auto-'), 'state'), ['--auto-approve', 'qr', '--quic-listen', 'off']);
    await d.process.waitFor(/auto-approve is on for QR pairing/, undefined, 'stderr');
    const status = parseOneJson<DaemonStatusJson>(await d.cli('status', '--json'));
    expect(status.autoApprove).toBe('qr');
    expect((await d.cli('status')).stdout).toMatch(/auto-approve qr: QR pairings are admitted without an operator/);

    const code = parseOneJson<PairingCodeJson>(await d.cli('pairing', 'code', '--method', 'qr', '--json'));
    const nodeDir = join(await dirs.make('palyra-e2e-auto-node-'), 'state');
    const joined = await spawnBin(PALYRA_NODE, ['join', '--qr', code.uri ?? '', '--state-dir', nodeDir, '--name', 'auto-node']).waitForExit();
    expect(joined.code, joined.stderr).toBe(0);
    const [, sas] = /^confirmation code (\S+)/m.exec(joined.stdout) ?? [];

    const nodes = parseOneJson<NodeRow[]>(await d.cli('nodes', 'list', '--json'));
    expect(nodes.map((n) => n.name)).toEqual(['auto-node']);
    const [line] = await d.process.waitFor(/^.*pairing request auto-approved.*$/m, undefined, 'stderr');
    expect(line).toContain(sas ?? 'no SAS printed');
    expect(line).toContain(nodes[0]?.deviceId ?? 'no device id');
    expect(d.process.stderr).not.toContain(code.code);
    // The audit log names the daemon itself as the one who approved (and issued the certificate).
    const audited = await pollUntil(async () => {
      const entries = parseOneJson<Array<{ action: string; actor: { kind: string }; node?: string }>>(await d.cli('audit', '--action', 'pairing.', '--json'));
      return entries.some((e) => e.action === 'pairing.approve') ? entries : undefined;
    }, { what: 'the pairing.approve audit entry' });
    expect(audited.find((e) => e.action === 'pairing.approve')).toMatchObject({ actor: { kind: 'daemon' }, node: nodes[0]?.deviceId });
  });

  it('config show reports the setting and its source; a wrong value is a usage error', async () => {
    const stateDir = join(await dirs.make('palyra-e2e-auto-cfg-'), 'state');
    const shown = parseOneJson<Record<string, { value: unknown; source: string }>>(
      await runBin(PALYRAD, ['config', 'show', '--json', '--state-dir', stateDir], { PALYRA_AUTO_APPROVE: 'all' }),
    );
    expect(shown.autoApprove).toEqual({ value: 'all', source: 'env' });
    const defaults = parseOneJson<Record<string, { value: unknown; source: string }>>(await runBin(PALYRAD, ['config', 'show', '--json', '--state-dir', stateDir]));
    expect(defaults.autoApprove).toEqual({ value: 'off', source: 'default' });
    expectErrorLine(await runBin(PALYRAD, ['start', '--state-dir', stateDir, '--auto-approve', 'yes']), 'PALYRA_E_USAGE');
  });
});
