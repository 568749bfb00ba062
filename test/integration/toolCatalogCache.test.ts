/**
 * ToolCatalogCache following a real daemon's events: when the daemon goes away (or stops
 * answering this caller: a revoked token), each MCP session must not keep reopening its event
 * stream (and reading the node list) at a fixed short interval forever: the retries back off.
 * A catalog computed before the cache follows events (a session that called a tool before its
 * first listing) is not served once it does: the nodes that came online meanwhile are listed.
 */
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { createLogger } from '@palyra/shared/logging';
import { afterAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import { ToolCatalogCache } from '../../daemon/src/tools/ToolCatalogCache.js';
import { writeFile } from 'node:fs/promises';
import { DaemonProcess, pairNode } from '../helpers/daemonHarness.js';
import { startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, TempDirs, pollUntil, stopProcesses } from '../helpers/processes.js';

const dirs = new TempDirs();

afterAll(async () => {
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('ToolCatalogCache against a real daemon', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('backs off while the event stream keeps failing (the daemon gone), instead of retrying every retryMs forever', async () => {
    const daemon = await DaemonProcess.start(join(await dirs.make('palyra-int-toolcache-'), 'daemon'), ['--quic-listen', 'off']);
    const client = await ControlClient.connect(daemon.stateDir);
    const RETRY_MS = 25;
    const failures: number[] = [];
    let reached: (() => void) | undefined;
    const enough = new Promise<void>((resolve) => (reached = resolve));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) {
          if (line.includes('event stream ended')) {
            failures.push(performance.now());
            if (failures.length === 6) reached?.();
          }
        }
        done();
      },
    });
    const cache = new ToolCatalogCache(client, { retryMs: RETRY_MS, logger: createLogger({ name: 'test', level: 'warn', destination: sink }) });
    try {
      await cache.get();
      cache.watch();
      await daemon.stop();
      await enough;
      const gaps = failures.slice(1).map((t, i) => t - failures[i]!);
      // Doubling from retryMs: 25, 50, 100, 200, 400 ms at least (timers never fire early).
      gaps.forEach((gap, i) => expect(gap, `gap ${i}: ${gaps.map(Math.round).join(', ')}`).toBeGreaterThanOrEqual(RETRY_MS * 2 ** i - 2));
    } finally {
      cache.close();
      client.close();
    }
  });

  it('lists the nodes that came online between its first computation and the start of watching', async () => {
    const base = await dirs.make('palyra-int-toolcache-late-');
    const daemon = await DaemonProcess.start(join(base, 'daemon'), ['--quic-listen', 'off']);
    const client = await ControlClient.connect(daemon.stateDir);
    const cache = new ToolCatalogCache(client);
    try {
      // As a tools/call before any tools/list: computed, not yet following events.
      expect((await cache.get()).byName.has('fs_read')).toBe(false);
      const root = await dirs.make('palyra-int-toolcache-root-');
      await writeFile(join(root, 'a.txt'), 'a');
      const config = await writeNodeConfig(base, { plugins: [{ use: 'filesystem', grants: { roots: [root] } }, { use: 'shell', enabled: false }, { use: 'browser', enabled: false }] });
      await pairNode(daemon, join(base, 'node'), 'late');
      await startAgent(join(base, 'node'), config);
      await pollUntil(async () => ((await client.listNodes()).some((n) => n.status === 'online') ? true : undefined), { what: 'the node online' });
      // The first tools/list starts watching, then reads the catalog: the node's tools are in it.
      cache.watch();
      expect((await cache.get()).byName.has('fs_read')).toBe(true);
    } finally {
      cache.close();
      client.close();
    }
  });
});
