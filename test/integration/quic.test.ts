/**
 * The QUIC transport against real endpoints on 127.0.0.1: a real daemon (Daemon.create, QUIC
 * on a free UDP port), nodes paired with the agent's real join, and the agent's own QUIC
 * client. Every daemon is stopped (its QUIC server with force) and every client destroyed in
 * afterEach; every connect has a timeout.
 */
import { createSocket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  PalyraError,
  encodeFrame,
  encodeJsonFrame,
  parseHostPort,
  type DaemonEvent,
  type DaemonEventType,
  type HostPort,
} from '@palyra/shared';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HEALTH_PING_BURST } from '../../daemon/src/health/NodeHealth.js';
import type { DaemonOptions } from '../../daemon/src/Daemon.js';
import { DaemonEvents } from '../../daemon/src/events/DaemonEvents.js';
import { NodeAgent } from '../../agent/src/NodeAgent.js';
import { healthParams, type TransportStatus } from '../../agent/src/connection/HealthChannel.js';
import { QuicDaemonClient, type QuicClientCredentials } from '../../agent/src/connection/quic/QuicDaemonClient.js';
import type { IdentityStore, NodeIdentity } from '../../agent/src/identity/index.js';
import { CA_SETUP_TIMEOUT_MS, Scope, SessionProbe, foreignCa, nodeClient, clientCredentials, pairNode, prepareCas, registerNode, startDaemon, within, type RunningDaemon } from './harness.js';
import { createCsr, fingerprint, generateTlsKeyPair, newDeviceId, pemToDer } from '@palyra/shared';
import { renewOn, renewedIdentity } from '../helpers/renewalProbe.js';

const CONNECT_TIMEOUT_MS = 3_000;

let scope: Scope;

beforeAll(() => prepareCas('daemon', 'stranger'), CA_SETUP_TIMEOUT_MS);

afterEach(async () => {
  await scope.dispose();
});

function newScope(): Scope {
  scope = new Scope();
  return scope;
}

async function quicDaemon(s: Scope, daemon: Partial<Omit<DaemonOptions, 'stateDir' | 'listen'>> = {}): Promise<RunningDaemon & { quic: HostPort }> {
  const d = await startDaemon(s, { daemon: { quicListen: { host: '127.0.0.1', port: 0 }, ...daemon } });
  expect(d.daemon.info.quicAddress).toMatch(/^127\.0\.0\.1:\d+$/);
  return { ...d, quic: parseHostPort(d.daemon.info.quicAddress) };
}

async function connect(s: Scope, address: HostPort, credentials: QuicClientCredentials, extra: { pinnedFingerprint?: string } = {}): Promise<QuicDaemonClient> {
  const client = await QuicDaemonClient.connect({ address, credentials, timeoutMs: CONNECT_TIMEOUT_MS, ...extra });
  s.defer(() => client.close());
  return client;
}

/** Connects and makes the first call, where a refused certificate shows (the daemon decides after the handshake). */
async function healthError(s: Scope, address: HostPort, credentials: QuicClientCredentials): Promise<PalyraError> {
  try {
    const client = await connect(s, address, credentials);
    await client.health(healthParams(), { timeoutMs: 5_000 });
  } catch (error) {
    if (error instanceof PalyraError) return error;
    throw error;
  }
  throw new Error('the daemon accepted the connection');
}

function memoryStore(identity: NodeIdentity): IdentityStore {
  return {
    backend: 'memory (test)',
    load: () => Promise.resolve(identity),
    save: () => Promise.resolve(),
    remove: () => Promise.resolve(false),
  };
}

/** A NodeAgent in-process, with no plugins to load and fast health pings. */
async function startAgent(
  s: Scope,
  identity: NodeIdentity,
  options: Partial<Parameters<typeof NodeAgent.create>[0]> = {},
): Promise<{ agent: NodeAgent; statuses: TransportStatus[]; running: Promise<unknown>; transport: (want: TransportStatus['transport']) => Promise<TransportStatus> }> {
  const dir = await s.tempDir('palyra-quic-agent-');
  const configPath = join(dir, 'palyra-node.config.json');
  await writeFile(configPath, JSON.stringify({ plugins: ['filesystem', 'shell', 'browser'].map((use) => ({ use, enabled: false })) }));
  const statuses: TransportStatus[] = [];
  const waiters: Array<() => void> = [];
  const agent = await NodeAgent.create({
    store: memoryStore(identity),
    configPath,
    healthIntervalMs: 200,
    quicConnectTimeoutMs: 1_500,
    onTransport: (status) => {
      statuses.push(status);
      for (const wake of waiters.splice(0)) wake();
    },
    ...options,
  });
  const running = agent.run().then(
    () => undefined,
    (error: unknown) => error,
  );
  s.defer(async () => {
    agent.stop();
    await within(running, 10_000, 'the agent stops');
  });
  const transport = async (want: TransportStatus['transport']): Promise<TransportStatus> => {
    for (;;) {
      const found = statuses.find((status) => status.transport === want);
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { agent, statuses, running, transport };
}

/** A UDP port nothing listens on (bound, then closed again). */
async function closedUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('QUIC health', () => {
  it('serves node.health over mTLS and the daemon records the round trip and transport', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const client = await connect(s, d.quic, identity);
    const first = await client.health(healthParams());
    expect(first.result.deviceId).toBe(identity.deviceId);
    expect(first.rttMs).toBeGreaterThan(0);
    const node = await waitFor(async () => {
      const n = (await d.control.listNodes()).find((x) => x.deviceId === identity.deviceId);
      return n !== undefined && n.lastHealthAt !== '' && n.healthRttMs > 0 ? n : undefined;
    }, 'the health round trip is recorded');
    // No Session: the node is offline, and an offline node has no transport, even with a live
    // QUIC connection (issue 13 item 11; an agent on QUIC also holds its Session).
    expect(node.status).toBe('offline');
    expect(node.transport).toBe('');
    expect(node.healthRttMs).toBeLessThan(5_000);
    await client.close();
  });

  it('checks the server side too: a pinned fingerprint that does not match is refused', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    await expect(connect(s, d.quic, identity, { pinnedFingerprint: 'ab'.repeat(32) })).rejects.toMatchObject({ code: 'PALYRA_E_SERVER_IDENTITY' });
  });
});

describe('QUIC health stream (node.health_stream)', () => {
  it('carries many pings on one stream; the daemon records each, with the round trip and transport', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const client = await connect(s, d.quic, identity);
    const stream = await client.openHealthStream();
    expect(stream.result.deviceId).toBe(identity.deviceId);
    const seen = new Set<string>();
    for (let i = 0; i < 3; i += 1) {
      const sample = await stream.ping(healthParams());
      expect(sample.rttMs).toBeGreaterThan(0);
      expect(sample.pong.receivedAtMs).toBeGreaterThan(0);
      const node = (await d.control.listNodes()).find((x) => x.deviceId === identity.deviceId);
      // Offline (no Session): no transport shown, though the pings are recorded.
      expect(node?.transport).toBe('');
      // The first ping reports the open's round trip: the figure is there from the start.
      expect(node?.healthRttMs).toBeGreaterThan(0);
      seen.add(node?.lastHealthAt ?? '');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(seen.size).toBe(3);
    expect(stream.isBroken).toBe(false);
    stream.close();
    // Ending the health stream leaves the connection up.
    expect((await client.health(healthParams())).result.deviceId).toBe(identity.deviceId);
  });

  it('revocation ends it: the connection closes at once and the next ping fails with PERMISSION_DENIED', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const client = await connect(s, d.quic, identity);
    const stream = await client.openHealthStream();
    await stream.ping(healthParams());
    await d.control.removeNode(identity.deviceId);
    await within(client.closed, 1_000, 'the revoked node loses its QUIC connection');
    await expect(stream.ping(healthParams(), { timeoutMs: 2_000 })).rejects.toMatchObject({ code: 'PALYRA_E_PERMISSION_DENIED' });
    expect(stream.isBroken).toBe(true);
  });

  it('a malformed ping resets that stream, a ping with bad figures gets an error frame; the connection and a healthy stream carry on', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const client = await connect(s, d.quic, identity);
    const healthy = await client.openHealthStream();
    await healthy.ping(healthParams());

    const open = async (): Promise<ReturnType<QuicDaemonClient['openStream']>> => {
      const raw = client.openStream();
      await raw.writer.write(encodeJsonFrame({ method: 'node.health_stream' }));
      expect(await raw.frames.nextJson()).toMatchObject({ result: { deviceId: identity.deviceId } });
      return raw;
    };
    const notAPing = await open();
    await notAPing.writer.write(encodeJsonFrame({ pong: 'from the node?' }));
    await expect(notAPing.frames.next()).rejects.toMatchObject({ code: 'PALYRA_E_FRAME_MALFORMED' });

    const notJson = await open();
    await notJson.writer.write(encodeFrame(Buffer.from('{"ping": ')));
    await expect(notJson.frames.next()).rejects.toMatchObject({ code: 'PALYRA_E_FRAME_MALFORMED' });

    const oversized = await open();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(64 * 1024 + 1, 0);
    await oversized.writer.write(header);
    await expect(oversized.frames.next()).rejects.toMatchObject({ code: 'PALYRA_E_FRAME_TOO_LARGE' });

    const badFigures = await open();
    await badFigures.writer.write(encodeJsonFrame({ ping: { ...healthParams(), uptimeSec: -1 } }));
    expect(await badFigures.frames.nextJson()).toMatchObject({ error: { code: 'PALYRA_E_INVALID_ARGUMENT' } });
    // ...and the daemon ends its side.
    expect(await badFigures.frames.next()).toBeUndefined();

    expect((await healthy.ping(healthParams())).rttMs).toBeGreaterThan(0);
    expect(client.closeReason).toBeUndefined();
  });

  it('a node pinging faster than its budget gets the stream reset with LIMIT_EXCEEDED; a new stream is served once the budget refills', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const client = await connect(s, d.quic, identity);
    const flood = client.openStream();
    await flood.writer.write(encodeJsonFrame({ method: 'node.health_stream' }));
    expect(await flood.frames.nextJson()).toMatchObject({ result: { deviceId: identity.deviceId } });
    // A burst well over the budget, written without waiting for the pongs.
    const ping = encodeJsonFrame({ ping: healthParams() });
    await flood.writer.write(Buffer.concat(Array.from({ length: HEALTH_PING_BURST * 3 }, () => ping)));
    let pongs = 0;
    const refused = await (async () => {
      for (;;) {
        const frame = await flood.frames.nextJson();
        if (frame === undefined) return undefined;
        pongs += 1;
      }
    })().catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'PALYRA_E_LIMIT_EXCEEDED' });
    expect(pongs).toBeGreaterThanOrEqual(HEALTH_PING_BURST);
    expect(pongs).toBeLessThan(HEALTH_PING_BURST * 3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const next = await client.openHealthStream();
    expect((await next.ping(healthParams())).rttMs).toBeGreaterThan(0);
    expect(client.closeReason).toBeUndefined();
  });
});

describe('QUIC mTLS rejection matrix', () => {
  it('refuses a client without a certificate', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const error = await healthError(s, d.quic, { caCertPem: d.caCertPem });
    expect(error.code).toBe('PALYRA_E_QUIC_HANDSHAKE');
    expect(error.message).toMatch(/client certificate required/);
  });

  it('refuses a certificate from a foreign CA', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const stranger = await foreignCa(s);
    const keys = await generateTlsKeyPair();
    const deviceId = newDeviceId();
    const cert = await stranger.signNodeCsr({ csrDer: createCsr({ deviceId, privateKeyPem: keys.privateKeyPem }), deviceId });
    const error = await healthError(s, d.quic, { caCertPem: d.caCertPem, certPem: cert.certPem, tlsPrivateKeyPem: keys.privateKeyPem });
    expect(error.code).toBe('PALYRA_E_QUIC_HANDSHAKE');
    expect(error.message).toMatch(/unknown certificate authority/);
  });

  it('refuses an expired certificate of a registered node', async () => {
    const s = newScope();
    // Certificates issued for ~3 s: the node is registered, then its certificate runs out.
    const d = await quicDaemon(s, { certValidityMs: 3_000 });
    const identity = await pairNode(s, d);
    const expiresIn = Date.parse(identity.certExpiresAt) - Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresIn) + 1_100));
    const error = await healthError(s, d.quic, identity);
    expect(error.code).toBe('PALYRA_E_QUIC_HANDSHAKE');
    expect(error.message).toMatch(/certificate expired/);
  });

  it('refuses a revoked certificate, and revoking closes a live connection within a second', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const live = await connect(s, d.quic, identity);
    await live.health(healthParams());
    const removedAt = Date.now();
    await d.control.removeNode(identity.deviceId);
    const closed = await within(live.closed, 1_000, 'the revoked node loses its QUIC connection');
    expect(Date.now() - removedAt).toBeLessThan(1_000);
    expect(closed.code).toBe('PALYRA_E_PERMISSION_DENIED');
    expect(closed.message).toMatch(/revoked/);
    const error = await healthError(s, d.quic, identity);
    expect(error.code).toBe('PALYRA_E_QUIC_HANDSHAKE');
    expect(error.message).toMatch(/certificate revoked/);
  });

  it('revoking closes the node\'s gRPC session and QUIC connection together', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const session = new SessionProbe(s, nodeClient(s, d.address, clientCredentials(d.caCertPem, { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem })), identity.deviceId);
    await session.firstMessage;
    const live = await connect(s, d.quic, identity);
    await live.health(healthParams());
    await d.control.removeNode(identity.deviceId);
    await within(Promise.all([session.ended, live.closed]), 1_000, 'both connections close');
  });
});

describe('QUIC and certificate renewal (issue 15)', () => {
  it('closes a live connection when the certificate it opened with expires, with a clear reason', async () => {
    const s = newScope();
    const d = await quicDaemon(s, { certValidityMs: 4_000 });
    const identity = await pairNode(s, d);
    const live = await connect(s, d.quic, identity);
    await live.health(healthParams());
    const closed = await within(live.closed, 15_000, 'the QUIC connection of an expired certificate closes');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(identity.certExpiresAt));
    expect(closed.code).toBe('PALYRA_E_PERMISSION_DENIED');
    expect(closed.message).toMatch(/expired at .*must renew/);
  });

  it('a renewal confirmed by the node closes the QUIC connection of the old certificate only', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const client = (i: NodeIdentity) => nodeClient(s, d.address, clientCredentials(d.caCertPem, { keyPem: i.tlsPrivateKeyPem, certPem: i.certPem }));
    const outcome = await renewOn(s, client(identity), identity);
    if (!outcome.ok) throw new Error(outcome.palyra.message);
    const renewed = renewedIdentity(identity, outcome);
    const oldConnection = await connect(s, d.quic, identity);
    const newConnection = await connect(s, d.quic, renewed);
    await oldConnection.health(healthParams());
    await newConnection.health(healthParams());
    // The node presents its new certificate: the previous one is deny-listed.
    expect((await registerNode(client(renewed), identity.deviceId)).ok).toBe(true);
    const closed = await within(oldConnection.closed, 2_000, 'the old certificate loses its QUIC connection');
    expect(closed.message).toMatch(/revoked/);
    await newConnection.health(healthParams());
  });
});

describe('QUIC and nodes remove after a renewal', () => {
  it('removing a node between issuance and presentation closes the connections of both its certificates', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const outcome = await renewOn(s, nodeClient(s, d.address, clientCredentials(d.caCertPem, { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem })), identity);
    if (!outcome.ok) throw new Error(outcome.palyra.message);
    const renewed = renewedIdentity(identity, outcome);
    const oldConnection = await connect(s, d.quic, identity);
    const newConnection = await connect(s, d.quic, renewed);
    await oldConnection.health(healthParams());
    await newConnection.health(healthParams());
    await d.control.removeNode(identity.deviceId);
    await within(Promise.all([oldConnection.closed, newConnection.closed]), 2_000, 'both certificates lose their QUIC connections');
  });
});

describe('QUIC connection cap', () => {
  it('refuses the connection over the cap with a clear error, and accepts again once one closes', async () => {
    const s = newScope();
    const d = await quicDaemon(s, { quicMaxConnections: 2 });
    const identity = await pairNode(s, d);
    const first = await connect(s, d.quic, identity);
    const second = await connect(s, d.quic, identity);
    await first.health(healthParams());
    await second.health(healthParams());
    const error = await healthError(s, d.quic, identity);
    expect(error.code).toBe('PALYRA_E_QUIC_TOO_MANY_CONNECTIONS');
    expect(error.message).toMatch(/maximum of 2 QUIC connections/);
    // Refused, not queued: the two held connections are untouched...
    await second.health(healthParams());
    // ...and a freed slot takes a new connection.
    await first.close();
    await waitFor(async () => {
      const client = await connect(s, d.quic, identity);
      return client.health(healthParams()).then(
        () => true,
        async () => {
          await client.close();
          return undefined;
        },
      );
    }, 'a connection is accepted after one closed');
  });
});

describe('QUIC frames', () => {
  it('closes only the stream that sent a malformed or oversized frame', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const client = await connect(s, d.quic, identity);

    // A long-lived stream that must survive its neighbours' violations.
    const events: DaemonEvent[] = [];
    const unsubscribe = new AbortController();
    let onSubscribed!: () => void;
    const subscribed = new Promise<void>((resolve) => {
      onSubscribed = resolve;
    });
    const subscription = client.streamEvents({ onEvent: (e) => events.push(e), onSubscribed: () => onSubscribed(), signal: unsubscribe.signal });
    await subscribed;

    const malformed = client.openStream();
    await malformed.writer.write(encodeFrame(Buffer.from('{"method": nope')));
    await expect(malformed.frames.next()).rejects.toMatchObject({ code: 'PALYRA_E_FRAME_MALFORMED' });

    const notARequest = client.openStream();
    await notARequest.writer.write(encodeJsonFrame({ hello: 'no method' }));
    await expect(notARequest.frames.next()).rejects.toMatchObject({ code: 'PALYRA_E_FRAME_MALFORMED' });

    const oversized = client.openStream();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(64 * 1024 + 1, 0);
    await oversized.writer.write(header);
    await expect(oversized.frames.next()).rejects.toMatchObject({ code: 'PALYRA_E_FRAME_TOO_LARGE' });

    // A well-formed request for an unknown method is an error frame, not a reset.
    const unknown = client.openStream();
    await unknown.writer.write(encodeJsonFrame({ method: 'node.reboot' }));
    expect(await unknown.frames.nextJson()).toMatchObject({ error: { code: 'PALYRA_E_INVALID_ARGUMENT' } });

    // The connection and the other streams live on.
    expect((await client.health(healthParams())).result.deviceId).toBe(identity.deviceId);
    const result = await d.control.invokeAndWait({ deviceId: identity.deviceId, capability: 'fs.stat', input: { path: '/' }, timeoutMs: 2_000 });
    expect(result.status).toBe('node_unavailable');
    await waitFor(() => (events.some((e) => e.type === 'dispatch.state' && e.dispatchId === result.dispatchId) ? true : undefined), 'the subscription still delivers');
    unsubscribe.abort();
    await within(subscription, 2_000, 'the subscription ends');
    expect(client.closeReason).toBeUndefined();
  });
});

describe('events', () => {
  it('reach subscribers: a node sees its own dispatch states only; an operator sees states and a node going offline', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const alice = await pairNode(s, d, 'alice');
    const bob = await pairNode(s, d, 'bob');

    const follow = async (identity: NodeIdentity, types?: DaemonEventType[]): Promise<{ events: DaemonEvent[]; stop: () => Promise<void> }> => {
      const client = await connect(s, d.quic, identity);
      const events: DaemonEvent[] = [];
      const abort = new AbortController();
      let ready!: () => void;
      const subscribed = new Promise<void>((resolve) => {
        ready = resolve;
      });
      const done = client.streamEvents({ onEvent: (e) => events.push(e), onSubscribed: () => ready(), signal: abort.signal, ...(types === undefined ? {} : { types }) });
      done.catch(() => undefined);
      await within(subscribed, 5_000, 'subscribed');
      return {
        events,
        stop: async () => {
          abort.abort();
          await done;
        },
      };
    };
    const aliceEvents = await follow(alice);
    const bobEvents = await follow(bob);

    // A node may not follow other nodes' comings and goings.
    const nosy = await connect(s, d.quic, bob);
    await expect(nosy.streamEvents({ types: ['node.offline'], onEvent: () => undefined })).rejects.toMatchObject({ code: 'PALYRA_E_PERMISSION_DENIED' });

    const operatorEvents: DaemonEvent[] = [];
    const operatorStop = new AbortController();
    const operator = (async () => {
      for await (const event of d.control.streamEvents({ types: ['dispatch.state', 'node.offline'], signal: operatorStop.signal })) operatorEvents.push(event);
    })();
    s.defer(async () => {
      operatorStop.abort();
      await operator.catch(() => undefined);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));

    // alice online over gRPC, then a dispatch to her (refused: she announced no capabilities)...
    const session = new SessionProbe(s, nodeClient(s, d.address, clientCredentials(d.caCertPem, { keyPem: alice.tlsPrivateKeyPem, certPem: alice.certPem })), alice.deviceId);
    await session.firstMessage;
    const result = await d.control.invokeAndWait({ deviceId: alice.deviceId, capability: 'fs.stat', input: { path: '/' }, timeoutMs: 2_000 });
    // ...then she goes offline.
    (session as unknown as { call: { cancel(): void } }).call.cancel();

    const states = (events: DaemonEvent[]): string[] =>
      events.flatMap((e) => (e.type === 'dispatch.state' && e.dispatchId === result.dispatchId ? [e.state] : []));
    await waitFor(() => (states(aliceEvents.events).includes(result.status) ? true : undefined), 'alice sees her dispatch finish');
    expect(states(aliceEvents.events)[0]).toBe('queued');
    await waitFor(
      () => (operatorEvents.some((e) => e.type === 'node.offline' && e.deviceId === alice.deviceId) ? true : undefined),
      'the operator sees alice go offline',
    );
    expect(states(operatorEvents)).toEqual(states(aliceEvents.events));
    // Bob sees none of alice's events, and nobody sees types they did not ask for.
    expect(bobEvents.events).toEqual([]);
    expect(aliceEvents.events.every((e) => e.type === 'dispatch.state' && e.deviceId === alice.deviceId)).toBe(true);
    expect(operatorEvents.some((e) => e.type === 'node.online')).toBe(false);
    await aliceEvents.stop();
    await bobEvents.stop();
  });
});

describe('agent transport', () => {
  it('prefers QUIC: health over QUIC, the daemon lists the node as quic with a round trip', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const { agent, transport } = await startAgent(s, identity);
    const status = await within(transport('quic'), 10_000, 'the agent settles on QUIC');
    expect(status.quicAddress).toBe(d.daemon.info.quicAddress);
    expect(agent.transport?.transport).toBe('quic');
    const node = await waitFor(async () => {
      const n = (await d.control.listNodes())[0];
      return n?.status === 'online' && n.transport === 'quic' && n.lastHealthAt !== '' ? n : undefined;
    }, 'nodes list shows quic');
    expect(node.healthRttMs).toBeGreaterThan(0);
    // Later pings keep coming (on the one long-lived stream) and keep being recorded.
    await waitFor(async () => {
      const n = (await d.control.listNodes())[0];
      return n !== undefined && n.lastHealthAt > node.lastHealthAt && n.transport === 'quic' ? true : undefined;
    }, 'a later ping is recorded');
  });

  it('follows its own dispatch events only when the embedding reads them (palyra-node run does not): no subscription to pay for per dispatch', async () => {
    // A spy on the daemon's real event bus (same process): which device subscriptions exist.
    const s = newScope();
    const subscribe = vi.spyOn(DaemonEvents.prototype, 'subscribe');
    s.defer(() => subscribe.mockRestore());
    const nodeSubscribers = (deviceId: string): number => subscribe.mock.calls.filter(([filter]) => filter.deviceId === deviceId).length;
    const d = await quicDaemon(s);
    const quiet = await pairNode(s, d, 'quiet');
    const listening = await pairNode(s, d, 'listening');
    const pings = async (deviceId: string, count: number): Promise<void> => {
      // Later health pings on the same connection: the events request went out before them.
      let last = '';
      for (let seen = 0; seen < count; ) {
        const n = await waitFor(async () => {
          const node = (await d.control.listNodes()).find((x) => x.deviceId === deviceId);
          return node !== undefined && node.transport === 'quic' && node.lastHealthAt !== '' && node.lastHealthAt !== last ? node : undefined;
        }, 'a health ping over QUIC');
        last = n.lastHealthAt;
        seen += 1;
      }
    };
    const withEvents = await startAgent(s, listening, { onDaemonEvent: () => undefined });
    await within(withEvents.transport('quic'), 10_000, 'the listening agent settles on QUIC');
    await waitFor(() => (nodeSubscribers(listening.deviceId) > 0 ? true : undefined), 'the listening agent subscribes');
    const without = await startAgent(s, quiet);
    await within(without.transport('quic'), 10_000, 'the quiet agent settles on QUIC');
    await pings(quiet.deviceId, 3);
    expect(nodeSubscribers(quiet.deviceId)).toBe(0);
  });

  it('falls back to gRPC when the UDP port is closed, and says so', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const port = await closedUdpPort();
    const { transport } = await startAgent(s, identity, { quicAddress: `127.0.0.1:${port}` });
    const status = await within(transport('grpc'), 10_000, 'the agent falls back to gRPC');
    expect(status.fallback).toBe('auto');
    expect(status.reason).toMatch(/PALYRA_E_QUIC_HANDSHAKE: no QUIC answer/);
    const node = await waitFor(async () => {
      const n = (await d.control.listNodes())[0];
      return n?.transport === 'grpc' && n.lastHealthAt !== '' ? n : undefined;
    }, 'nodes list shows grpc');
    expect(node.status).toBe('online');
    // The gRPC round trip is reported with the ping after the one it measured.
    await waitFor(async () => ((await d.control.listNodes())[0]?.healthRttMs ?? 0) > 0 || undefined, 'a gRPC round trip is recorded');
  });

  it('falls back to gRPC when this platform has no QUIC binary', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const { transport } = await startAgent(s, identity, {
      loadQuic: () => Promise.reject(new PalyraError('PALYRA_E_QUIC_UNAVAILABLE', 'QUIC is not available on linux-arm64 (test)')),
    });
    const status = await within(transport('grpc'), 10_000, 'the agent uses gRPC');
    expect(status.reason).toMatch(/PALYRA_E_QUIC_UNAVAILABLE/);
  });

  it('--transport-fallback never: a QUIC failure is fatal', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const port = await closedUdpPort();
    const { running } = await startAgent(s, identity, { quicAddress: `127.0.0.1:${port}`, transportFallback: 'never' });
    const error = await within(running, 10_000, 'the agent gives up');
    expect(error).toBeInstanceOf(PalyraError);
    expect((error as PalyraError).code).toBe('PALYRA_E_QUIC_HANDSHAKE');
    expect((error as PalyraError).message).toMatch(/QUIC is required/);
  });

  it('--transport-fallback always: gRPC only, QUIC never tried', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    let tried = false;
    const { transport, statuses } = await startAgent(s, identity, {
      transportFallback: 'always',
      loadQuic: () => {
        tried = true;
        return Promise.reject(new Error('must not be called'));
      },
    });
    await within(transport('grpc'), 10_000, 'the agent uses gRPC');
    expect(tried).toBe(false);
    expect(statuses.some((status) => status.transport === 'quic')).toBe(false);
  });
});

describe('pinned server fingerprint', () => {
  it('works with the daemon\'s real fingerprint and is fatal with another, on gRPC and QUIC', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const real = fingerprint(pemToDer(d.keys.serverCertPem, 'CERTIFICATE'));
    const good = await startAgent(s, identity, { pinnedFingerprint: real });
    await within(good.transport('quic'), 10_000, 'the pinned agent reaches QUIC');
    const client = await connect(s, d.quic, identity, { pinnedFingerprint: real });
    await client.health(healthParams());

    const bad = await startAgent(s, identity, { pinnedFingerprint: 'cd'.repeat(32) });
    const error = await within(bad.running, 10_000, 'the agent refuses the daemon');
    expect(error).toBeInstanceOf(PalyraError);
    expect((error as PalyraError).code).toBe('PALYRA_E_SERVER_IDENTITY');
    expect((error as PalyraError).message).toContain(real);
  });
});

describe('shutdown', () => {
  it('stops the daemon with QUIC connections and event streams open, without hanging; clients learn why', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const clients = await Promise.all([0, 1, 2].map(() => connect(s, d.quic, identity)));
    const subscriptions = clients.map((client) => client.streamEvents({ onEvent: () => undefined }).catch((error: unknown) => error));
    await Promise.all(clients.map((client) => client.health(healthParams())));
    const started = Date.now();
    await within(d.daemon.stop(), 5_000, 'the daemon stops');
    expect(Date.now() - started).toBeLessThan(5_000);
    const reasons = await within(Promise.all(clients.map((client) => client.closed)), 2_000, 'every client sees the close');
    for (const reason of reasons) expect(reason.code).toBe('PALYRA_E_DAEMON_UNREACHABLE');
    await within(Promise.all(subscriptions), 2_000, 'every subscription ends');
  });

  it('stops an agent on QUIC without hanging', async () => {
    const s = newScope();
    const d = await quicDaemon(s);
    const identity = await pairNode(s, d);
    const { agent, transport, running } = await startAgent(s, identity);
    await within(transport('quic'), 10_000, 'on QUIC');
    agent.stop();
    expect(await within(running, 5_000, 'the agent stops')).toBeUndefined();
  });
});

