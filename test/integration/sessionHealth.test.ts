/**
 * Health pings on the gRPC Session stream (nodes that cannot use QUIC): a real daemon on
 * 127.0.0.1, nodes paired with the agent's real join, raw Session streams and the real
 * NodeAgent. Pings are `health` messages answered by `health` pongs on the stream that is open
 * anyway, instead of a unary Health RPC per ping.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { DaemonMessage__Output, HealthPing } from '@palyra/proto';
import { PalyraError } from '@palyra/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HEALTH_PING_BURST } from '../../daemon/src/health/NodeHealth.js';
import { NodeAgent } from '../../agent/src/NodeAgent.js';
import { healthParams } from '../../agent/src/connection/HealthChannel.js';
import type { IdentityStore, NodeIdentity } from '../../agent/src/identity/index.js';
import {
  CA_SETUP_TIMEOUT_MS,
  Scope,
  SessionProbe,
  TEST_TIMEOUT_MS,
  clientCredentials,
  expectPalyraStatus,
  nodeClient,
  pairNode,
  prepareCas,
  startDaemon,
  within,
  type RunningDaemon,
} from './harness.js';

let scope: Scope;

beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

function ping(seq: number, extra: Partial<HealthPing> = {}): { health: HealthPing } {
  const p = healthParams();
  return {
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
      ...extra,
    },
  };
}

async function openSession(d: RunningDaemon, identity: NodeIdentity): Promise<SessionProbe> {
  const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem }));
  const session = new SessionProbe(scope, client, identity.deviceId);
  expect((await session.firstMessage).body).toBe('welcome');
  return session;
}

function pongFor(session: SessionProbe, seq: number): Promise<DaemonMessage__Output> {
  return within(session.nextMatching((m) => m.body === 'health' && m.health?.seq === seq), 5_000, `the pong of ping ${seq}`);
}

async function nodeRow(d: RunningDaemon, deviceId: string): Promise<Awaited<ReturnType<RunningDaemon['control']['listNodes']>>[number] | undefined> {
  return (await d.control.listNodes()).find((n) => n.deviceId === deviceId);
}

describe('health on the Session stream', { timeout: TEST_TIMEOUT_MS }, () => {
  it('answers each ping with a pong of the same seq; the daemon records it as grpc with the reported round trip', async () => {
    const d = await startDaemon(scope);
    const identity = await pairNode(scope, d);
    const session = await openSession(d, identity);

    const first = pongFor(session, 1);
    session.write(ping(1));
    const pong = (await first).health;
    expect(pong?.error ?? null).toBeNull();
    expect(Number(pong?.receivedAtMs)).toBeGreaterThan(0);
    let row = await nodeRow(d, identity.deviceId);
    expect(row?.status).toBe('online');
    expect(row?.transport).toBe('grpc');
    expect(row?.lastHealthAt).not.toBe('');

    const second = pongFor(session, 2);
    session.write(ping(2, { lastRttMs: 1.25 }));
    await second;
    row = await nodeRow(d, identity.deviceId);
    expect(row?.healthRttMs).toBe(1.25);
  });

  it('a ping with invalid figures gets a pong with INVALID_ARGUMENT; the session stays open', async () => {
    const d = await startDaemon(scope);
    const identity = await pairNode(scope, d);
    const session = await openSession(d, identity);

    const refused = pongFor(session, 7);
    session.write(ping(7, { uptimeSec: -1 }));
    expect((await refused).health?.error).toMatchObject({ code: 'PALYRA_E_INVALID_ARGUMENT' });
    const refusedVersion = pongFor(session, 8);
    session.write(ping(8, { agentVersion: 'x'.repeat(1_000) }));
    expect((await refusedVersion).health?.error).toMatchObject({ code: 'PALYRA_E_INVALID_ARGUMENT' });

    const ok = pongFor(session, 9);
    session.write(ping(9));
    expect((await ok).health?.error ?? null).toBeNull();
    expect((await nodeRow(d, identity.deviceId))?.status).toBe('online');
  });

  it('a node pinging faster than its budget loses the session with LIMIT_EXCEEDED', async () => {
    const d = await startDaemon(scope);
    const identity = await pairNode(scope, d);
    const session = await openSession(d, identity);
    for (let seq = 1; seq <= HEALTH_PING_BURST * 3; seq += 1) session.write(ping(seq));
    const closed = await within(session.ended, 5_000, 'the flooding session closes');
    expectPalyraStatus(closed, 'PALYRA_E_LIMIT_EXCEEDED', grpc.status.RESOURCE_EXHAUSTED);
  });

  it('revocation ends it: the session closes with PERMISSION_DENIED at once', async () => {
    const d = await startDaemon(scope);
    const identity = await pairNode(scope, d);
    const session = await openSession(d, identity);
    const first = pongFor(session, 1);
    session.write(ping(1));
    await first;
    await d.control.removeNode(identity.deviceId);
    const closed = await within(session.ended, 1_000, 'the session of the removed node closes');
    expectPalyraStatus(closed, 'PALYRA_E_PERMISSION_DENIED', grpc.status.PERMISSION_DENIED);
  });
});

function memoryStore(identity: NodeIdentity): IdentityStore {
  return { backend: 'memory (test)', load: () => Promise.resolve(identity), save: () => Promise.resolve(), remove: () => Promise.resolve(false) };
}

async function startGrpcAgent(identity: NodeIdentity): Promise<{ running: Promise<unknown>; samples: number[] }> {
  const dir = await scope.tempDir('palyra-session-health-');
  const configPath = join(dir, 'palyra-node.config.json');
  await writeFile(configPath, JSON.stringify({ plugins: ['filesystem', 'shell', 'browser'].map((use) => ({ use, enabled: false })) }));
  const samples: number[] = [];
  const agent = await NodeAgent.create({
    store: memoryStore(identity),
    configPath,
    healthIntervalMs: 100,
    transportFallback: 'always',
    onHealth: (sample) => {
      if (sample.transport === 'grpc') samples.push(sample.rttMs);
    },
  });
  const running = agent.run().then(
    () => undefined,
    (error: unknown) => error,
  );
  scope.defer(async () => {
    agent.stop();
    await within(running, 10_000, 'the agent stops');
  });
  return { running, samples };
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the agent on gRPC', { timeout: TEST_TIMEOUT_MS }, () => {
  it('pings on its Session stream: samples with a round trip, listed as grpc with healthRttMs', async () => {
    const d = await startDaemon(scope);
    const identity = await pairNode(scope, d);
    const { samples } = await startGrpcAgent(identity);
    const row = await until(async () => {
      const n = await nodeRow(d, identity.deviceId);
      return n?.status === 'online' && n.transport === 'grpc' && n.healthRttMs > 0 ? n : undefined;
    }, 'nodes list shows a gRPC health round trip');
    expect(row.lastHealthAt).not.toBe('');
    await until(async () => (samples.length >= 3 ? true : undefined), 'three pings answered');
    expect(samples.every((rtt) => rtt > 0)).toBe(true);
  });

  it('stops with PERMISSION_DENIED when the node is removed', async () => {
    const d = await startDaemon(scope);
    const identity = await pairNode(scope, d);
    const { running, samples } = await startGrpcAgent(identity);
    await until(async () => (samples.length >= 1 ? true : undefined), 'a ping answered');
    await d.control.removeNode(identity.deviceId);
    const error = await within(running, 10_000, 'the agent gives up');
    expect(error).toBeInstanceOf(PalyraError);
    expect((error as PalyraError).code).toBe('PALYRA_E_PERMISSION_DENIED');
  });
});
