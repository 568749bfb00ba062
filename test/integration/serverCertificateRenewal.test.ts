/**
 * Issue 15 part 5: the daemon renews its TLS server certificate while it runs, before a third
 * of its life is left, and swaps it into the gRPC and QUIC listeners without a restart. A real
 * daemon on 127.0.0.1 with a 20-second server certificate (DaemonOptions.serverCertValidityMs):
 * nodes pair and connect before and after the swap, new handshakes (TLS and QUIC) see the new
 * certificate, and a live Session and a live QUIC connection opened before it stay up.
 */
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { parseHostPort } from '@palyra/shared/config';
import { PalyraError, fingerprint } from '@palyra/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { healthParams } from '../../agent/src/connection/HealthChannel.js';
import { QuicDaemonClient } from '../../agent/src/connection/quic/QuicDaemonClient.js';
import { NodeAgent } from '../../agent/src/NodeAgent.js';
import type { NodeIdentity } from '../../agent/src/identity/index.js';
import { capturedLogger } from '../helpers/capturedLogger.js';
import { CA_SETUP_TIMEOUT_MS, Scope, SessionProbe, TEST_TIMEOUT_MS, clientCredentials, nodeClient, pairNode, prepareCas, startDaemon, within, type RunningDaemon } from './harness.js';

let scope: Scope;

beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

/** The fingerprint of the server certificate a fresh TLS handshake on the node port gets (verified against the CA). */
function servedFingerprint(d: RunningDaemon): Promise<string> {
  const { host, port } = parseHostPort(d.address);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, ca: d.caCertPem, ALPNProtocols: ['h2'], checkServerIdentity: () => undefined }, () => {
      const served = fingerprint(socket.getPeerCertificate().raw);
      socket.destroy();
      resolve(served);
    });
    socket.on('error', reject);
  });
}

async function quicClient(d: RunningDaemon, identity: NodeIdentity, pinnedFingerprint: string): Promise<QuicDaemonClient> {
  const client = await QuicDaemonClient.connect({
    address: parseHostPort(d.daemon.info.quicAddress),
    credentials: { caCertPem: d.caCertPem, certPem: identity.certPem, tlsPrivateKeyPem: identity.tlsPrivateKeyPem },
    pinnedFingerprint,
    timeoutMs: 3_000,
  });
  scope.defer(() => client.close());
  return client;
}

async function openSession(d: RunningDaemon, identity: NodeIdentity): Promise<SessionProbe> {
  const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem }));
  const session = new SessionProbe(scope, client, identity.deviceId);
  expect((await within(session.firstMessage, 5_000, 'the welcome')).body).toBe('welcome');
  return session;
}

async function pingPong(session: SessionProbe, seq: number): Promise<void> {
  const p = healthParams();
  const pong = session.nextMatching((m) => m.body === 'health' && m.health?.seq === seq);
  session.write({
    health: {
      seq,
      sentAtMs: String(p.sentAtMs),
      agentVersion: p.agentVersion,
      uptimeSec: p.uptimeSec,
      loadAvg: p.loadAvg,
      memoryTotalBytes: String(p.memory.totalBytes),
      memoryFreeBytes: String(p.memory.freeBytes),
      memoryRssBytes: String(p.memory.rssBytes),
      lastRttMs: 0,
    },
  });
  expect((await within(pong, 5_000, `pong ${seq}`)).health?.error ?? null).toBeNull();
}

describe('server certificate renewal while running', { timeout: TEST_TIMEOUT_MS }, () => {
  it('renews before a third of its life is left and swaps it into gRPC and QUIC: new handshakes see it, live connections stay up', async () => {
    const log = capturedLogger();
    const d = await startDaemon(scope, {
      daemon: { quicListen: { host: '127.0.0.1', port: 0 }, serverCertValidityMs: 20_000, serverCertCheckIntervalMs: 200, logger: log.logger },
    });
    const before = await d.control.status();
    const first = before.serverCertFingerprint;
    // The template's year-long certificate was replaced by one as short as asked.
    expect(Date.parse(before.serverCertExpiresAt) - Date.now()).toBeLessThanOrEqual(21_000);
    expect(await servedFingerprint(d)).toBe(first);

    // Before the swap: a node pairs (the pairing binds the served certificate) and connects on both transports.
    const early = await pairNode(scope, d, 'early');
    const session = await openSession(d, early);
    await pingPong(session, 1);
    const quicBefore = await quicClient(d, early, first);
    await quicBefore.health(healthParams(), { timeoutMs: 5_000 });

    const renewed = await within(
      (async () => {
        for (;;) {
          const status = await d.control.status();
          if (status.serverCertFingerprint !== first) return status;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })(),
      30_000,
      'the server certificate renewal',
    );
    const second = renewed.serverCertFingerprint;
    expect(Date.parse(renewed.serverCertExpiresAt)).toBeGreaterThan(Date.parse(before.serverCertExpiresAt));
    const line = log.lines().find((l) => String(l.msg).startsWith('server certificate renewed'));
    expect(line).toMatchObject({ certFingerprint: second, previousCertFingerprint: first });
    // Written to the state dir too: a restart serves the new one.
    expect(fingerprint(new X509Certificate(await readFile(join(d.stateDir, 'server.crt'), 'utf8')).raw)).toBe(second);

    // What was open before the swap is still up and working.
    await pingPong(session, 2);
    await quicBefore.health(healthParams(), { timeoutMs: 5_000 });
    expect(d.daemon.info.quicAddress).not.toBe('disabled');

    // New handshakes get the new certificate, on both transports.
    expect(await servedFingerprint(d)).toBe(second);
    const quicAfter = await quicClient(d, early, second);
    await quicAfter.health(healthParams(), { timeoutMs: 5_000 });
    const stale = await quicClient(d, early, first).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(stale).toBeInstanceOf(PalyraError);

    // A node pairs and connects after the swap.
    const late = await pairNode(scope, d, 'late');
    const lateSession = await openSession(d, late);
    await pingPong(lateSession, 1);
    expect((await d.control.listNodes()).filter((n) => n.status === 'online')).toHaveLength(2);
    await pingPong(session, 3);
  });

  it('a real agent on QUIC stays registered and keeps pinging across the swap, without reconnecting', async () => {
    const d = await startDaemon(scope, {
      daemon: { quicListen: { host: '127.0.0.1', port: 0 }, serverCertValidityMs: 20_000, serverCertCheckIntervalMs: 200 },
    });
    const first = (await d.control.status()).serverCertFingerprint;
    const identity = await pairNode(scope, d, 'agent-node');
    const offline: string[] = [];
    const abort = new AbortController();
    scope.defer(() => abort.abort());
    void (async () => {
      for await (const event of d.control.streamEvents({ types: ['node.offline'], signal: abort.signal })) offline.push(event.deviceId);
    })().catch(() => undefined);

    const dir = await scope.tempDir('palyra-server-renewal-');
    const configPath = join(dir, 'palyra-node.config.json');
    await writeFile(configPath, JSON.stringify({ plugins: ['filesystem', 'shell', 'browser'].map((use) => ({ use, enabled: false })) }));
    const samples: Array<{ transport: string; at: Date }> = [];
    const ready: Array<{ reconnect: boolean }> = [];
    const disconnects: string[] = [];
    const agent = await NodeAgent.create({
      store: { backend: 'memory (test)', load: () => Promise.resolve(identity), save: () => Promise.resolve(), remove: () => Promise.resolve(false) },
      configPath,
      healthIntervalMs: 200,
      onReady: (info) => ready.push(info),
      onDisconnected: (info) => disconnects.push(info.error.code),
      onHealth: (sample) => samples.push(sample),
    });
    const running = agent.run().then(
      () => undefined,
      (error: unknown) => error,
    );
    scope.defer(async () => {
      agent.stop();
      await within(running, 10_000, 'the agent stops');
    });
    const quicSampleAfter = (since: number): Promise<void> =>
      within(
        (async () => {
          while (!samples.some((sample) => sample.transport === 'quic' && sample.at.getTime() > since)) await new Promise((resolve) => setTimeout(resolve, 50));
        })(),
        20_000,
        'a QUIC health sample',
      );
    await quicSampleAfter(0);

    let swappedAt = 0;
    await within(
      (async () => {
        while ((await d.control.status()).serverCertFingerprint === first) await new Promise((resolve) => setTimeout(resolve, 100));
        swappedAt = Date.now();
      })(),
      30_000,
      'the server certificate renewal',
    );
    await quicSampleAfter(swappedAt + 500);
    expect(ready).toEqual([{ deviceId: identity.deviceId, reconnect: false }]);
    expect(disconnects).toEqual([]);
    expect(offline).toEqual([]);
    expect((await d.control.listNodes())[0]).toMatchObject({ status: 'online', transport: 'quic' });
  });
});

