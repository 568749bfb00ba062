/**
 * Issue 17 (paging, selectors, node references) against a real daemon holding 1,000 nodes:
 * ListNodes pages with a cursor that stays right when nodes are removed and added between
 * pages; `nodes list` pages transparently and filters with -l; a short prefix is ambiguous.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newDeviceId } from '@palyra/shared/ids';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import { RuntimeStateStore, emptyRuntimeState } from '../../daemon/src/registry/index.js';
import type { NodeRecord } from '../../daemon/src/registry/types.js';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, stateFile, type NodeRow } from '../helpers/daemonHarness.js';
import { E2E_TEST_TIMEOUT_MS, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();
afterEach(async () => {
  await stopProcesses();
  await dirs.cleanup();
});

const SEEDED = 1000;

function syntheticNodes(n: number): NodeRecord[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    deviceId: newDeviceId(now - 60_000),
    name: `node-${i}`,
    platform: i % 2 === 0 ? 'linux-x64' : 'darwin-arm64',
    hostname: `host-${i}`,
    agentVersion: 'seeded',
    capabilities: i % 3 === 0 ? ['fs.read', 'shell.exec'] : ['fs.read'],
    labels: { tier: i % 10 === 0 ? 'db' : 'web' },
    ed25519PublicKey: randomBytes(32).toString('base64'),
    x25519PublicKey: randomBytes(32).toString('base64'),
    certFingerprint: randomBytes(32).toString('hex'),
    certExpiresAt: new Date(now + 30 * 86_400_000).toISOString(),
    pairedAt: new Date(now).toISOString(),
    lastSeen: null,
  }));
}

describe('ListNodes paging and selectors at 1,000 nodes (real daemon)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('pages stay consistent while nodes come and go; nodes list -l filters on the daemon; references resolve or are ambiguous', async () => {
    const base = await dirs.make('palyra-e2e-paging-');
    const stateDir = join(base, 'daemon');
    // A first start creates the CA; the stopped daemon's empty store then takes 1,000 nodes.
    const first = await DaemonProcess.start(stateDir);
    expect((await first.stop()).code).toBe(0);
    const seedDir = join(base, 'seed');
    await mkdir(seedDir, { mode: 0o700 });
    const seeded = syntheticNodes(SEEDED);
    await (await RuntimeStateStore.open({ stateDir: seedDir })).save({ ...emptyRuntimeState(), nodes: seeded });
    const imported = await first.cli('state', 'import', stateFile(seedDir), '--json');
    expect(imported.code, imported.stderr).toBe(0);
    const daemon = await DaemonProcess.start(stateDir);
    const client = await ControlClient.connect(stateDir);
    try {
      const ids = seeded.map((n) => n.deviceId).sort();

      // Page 1 of 100, then a node already listed and one not yet listed go, and one is added.
      const seen: string[] = [];
      let pages = 0;
      let added = '';
      const removedSeen = ids[50]!;
      const removedAhead = ids[500]!;
      for await (const page of client.listNodePages({ pageSize: 100 })) {
        expect(page.length).toBeLessThanOrEqual(100);
        seen.push(...page.map((n) => n.deviceId));
        pages += 1;
        if (pages === 1) {
          expect(seen).toEqual(ids.slice(0, 100));
          expect((await daemon.cli('nodes', 'remove', removedSeen)).code).toBe(0);
          expect((await daemon.cli('nodes', 'remove', removedAhead)).code).toBe(0);
          added = await pairNode(daemon, join(base, 'added'), 'added-node');
        }
      }
      expect(pages).toBe(10);
      // Every node present throughout appears exactly once, in device id order; the one added
      // after the cursor appears; the one removed ahead of the cursor does not.
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual([...seen].sort());
      expect(seen).toContain(added);
      expect(seen).not.toContain(removedAhead);
      expect(seen.filter((id) => id !== added)).toEqual(ids.filter((id) => id !== removedAhead));

      // The client pages by itself; the CLI too, with a selector filtered on the daemon.
      expect(await client.listNodes({ pageSize: 7 })).toHaveLength(SEEDED - 2 + 1);
      const all = parseOneJson<NodeRow[]>(await daemon.cli('nodes', 'list', '--json'));
      expect(all).toHaveLength(SEEDED - 2 + 1);
      const dbs = parseOneJson<NodeRow[]>(await daemon.cli('nodes', 'list', '-l', 'tier=db,platform=linux-x64', '--json'));
      const expectedDbs = seeded.filter((n, i) => i % 10 === 0 && n.platform === 'linux-x64' && n.deviceId !== removedSeen && n.deviceId !== removedAhead);
      expect(dbs.map((n) => n.deviceId).sort()).toEqual(expectedDbs.map((n) => n.deviceId).sort());
      const shells = parseOneJson<NodeRow[]>(await daemon.cli('nodes', 'list', '-l', 'capability=shell.exec,status=offline', '--json'));
      expect(shells.length).toBe(seeded.filter((n, i) => i % 3 === 0 && n.deviceId !== removedSeen && n.deviceId !== removedAhead).length);
      const online = parseOneJson<NodeRow[]>(await daemon.cli('nodes', 'list', '-l', 'status=online', '--json'));
      expect(online).toEqual([]);
      const bad = await daemon.cli('nodes', 'list', '-l', 'tier in (db', '--json');
      const line = expectErrorLine(bad, 'PALYRA_E_SELECTOR_INVALID', 65);
      expect(line).toContain('column 12');
      expect((await daemon.cli('nodes', 'list', '-l', 'name=nobody')).stdout).toContain('no node matches the selector');

      // References: a unique prefix and a name resolve; a short shared prefix is ambiguous.
      const target = seeded[3]!;
      const byPrefix = parseOneJson<{ deviceId: string }>(await daemon.cli('nodes', 'describe', target.deviceId.slice(0, 24).toLowerCase(), '--json'));
      expect(byPrefix.deviceId).toBe(target.deviceId);
      expect(parseOneJson<{ deviceId: string }>(await daemon.cli('nodes', 'describe', 'node-3', '--json')).deviceId).toBe(target.deviceId);
      const ambiguous = await daemon.cli('nodes', 'describe', target.deviceId.slice(0, 4));
      expectErrorLine(ambiguous, 'PALYRA_E_NODE_AMBIGUOUS', 65);
      // One error line (the CLI joins the message's lines): ten candidates with ids and names.
      const listed = ambiguous.stderr.match(/[0-9A-Z]{26} +node-\d+/g) ?? [];
      expect(listed).toHaveLength(10);
      expect(ambiguous.stderr).toMatch(/and \d+ more/);
      expectErrorLine(await daemon.cli('nodes', 'describe', 'nobody-at-all'), 'PALYRA_E_NODE_NOT_FOUND', 68);
      // A page size over the bound is refused.
      await expect(client.listNodes({ pageSize: 5001 })).rejects.toMatchObject({ code: 'PALYRA_E_INVALID_ARGUMENT' });
    } finally {
      client.close();
    }
  });
});
