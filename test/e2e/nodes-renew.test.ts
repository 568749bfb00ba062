/**
 * Issue 15 part 4 through the built binaries: `palyrad nodes renew` asks a running agent to
 * renew its certificate now (pushed over its session); the agent renews at once, `palyrad
 * events` prints cert.renewed, and `palyrad nodes list` and `status` show the renewal. The
 * default 24-hour certificate would not renew by itself during the test.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, startNode, type DaemonStatusJson, type NodeRow } from '../helpers/daemonHarness.js';
import { E2E_TEST_TIMEOUT_MS, PALYRAD, pollUntil, spawnBin, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();

afterEach(async () => {
  await stopProcesses();
  await dirs.cleanup();
});

const RENEWED = /^palyra-node renewed path=mtls expires=\S+$/gm;

describe('palyrad nodes renew (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('a running agent renews when asked; events, nodes list and status show it', async () => {
    const base = await dirs.make('palyra-e2e-nodes-renew-');
    const daemon = await DaemonProcess.start(join(base, 'daemon'));
    const nodeDir = join(base, 'node');
    const deviceId = await pairNode(daemon, nodeDir, 'asked-node');
    const agent = await startNode(nodeDir);
    const row = async (): Promise<NodeRow | undefined> => parseOneJson<NodeRow[]>(await daemon.cli('nodes', 'list', '--json')).find((n) => n.deviceId === deviceId);
    const before = await row();
    expect(before).toMatchObject({ certState: 'valid', certRenewedAt: null });

    const events = spawnBin(PALYRAD, ['events', '--state-dir', daemon.stateDir, '--type', 'cert.renewed', '--json']);
    // `events` subscribes a moment after it starts: ask again until it has seen a renewal.
    let asked = 0;
    await pollUntil(
      async () => {
        if (/"type":"cert\.renewed"/.test(events.stdout)) return true;
        const renewals = [...agent.stdout.matchAll(RENEWED)].length;
        if (renewals < asked) return undefined;
        expect(parseOneJson(await daemon.cli('nodes', 'renew', deviceId, '--json'))).toEqual({ asked: [{ deviceId, name: 'asked-node' }], offline: [] });
        asked += 1;
        await agent.waitFor(new RegExp(`(?:${RENEWED.source}[\\s\\S]*){${asked}}`, 'm'));
        return undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200, what: 'cert.renewed from palyrad events' },
    );
    const [line] = await events.waitFor(/^\{"type":"cert\.renewed".*\}$/m);
    const event = JSON.parse(line) as { deviceId: string; name: string; certFingerprint: string; previousCertFingerprint: string };
    expect(event).toMatchObject({ deviceId, name: 'asked-node' });
    expect(event.certFingerprint).not.toBe(before?.certFingerprint);

    // Once the agent presents the new certificate the node is valid again, with its renewal time.
    const after = await pollUntil(async () => {
      const current = await row();
      return current?.certState === 'valid' && current.certRenewedAt !== null && current.certFingerprint !== before?.certFingerprint ? current : undefined;
    }, { what: 'the renewed node valid again' });
    expect(after.status).toBe('online');
    expect(Date.parse(after.certExpiresAt)).toBeGreaterThanOrEqual(Date.parse(before?.certExpiresAt ?? ''));
    expect(parseOneJson<DaemonStatusJson>(await daemon.cli('status', '--json')).certificates).toMatchObject({ valid: 1, renewing: 0 });
    expect((await daemon.cli('nodes', 'list')).stdout).toMatch(/cert valid until \S+ \(renewed \S+\)/);
  });
});
