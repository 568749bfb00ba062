/**
 * The pinned-CA check of ControlClient.connectRemote against real TLS servers on 127.0.0.1
 * that present a daemon's chain ([server certificate, CA], as the admin endpoint does): the
 * right pin connects (HTTP/2 up, no request yet); a wrong pin, a chain without the CA, and a
 * foreign server certificate that carries the pinned CA along are all refused with
 * PALYRA_E_SERVER_IDENTITY before a single byte of HTTP/2 (so before any token) is sent.
 */
import { once } from 'node:events';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { fingerprint, pemToDer } from '@palyra/shared';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import { CA_SETUP_TIMEOUT_MS, Scope, TEST_TIMEOUT_MS, pairNode, prepareCas, startDaemon, type RunningDaemon } from './harness.js';
import { expectCode } from '../helpers/errorAssertions.js';

const TOKEN = `pyt_01HZZZZZZZZZZZZZZZZZZZZZZZ_${'A'.repeat(43)}`;

let scope: Scope;
afterEach(async () => {
  await scope?.dispose();
});
beforeAll(() => prepareCas('daemon', 'other-daemon'), CA_SETUP_TIMEOUT_MS);

/** What a raw TLS server saw of one client: bytes after the handshake, and when it closed. */
interface RawServer {
  address: string;
  /** Application bytes received after the TLS handshake, over every connection so far. */
  bytesAfterHandshake(): number;
  /** Resolves once `count` connections closed. */
  closed(count: number): Promise<void>;
}

async function rawTlsServer(s: Scope, pems: { cert: string; key: string }): Promise<RawServer> {
  let bytes = 0;
  let closedCount = 0;
  const waiters: Array<() => void> = [];
  const server: TlsServer = createTlsServer({ cert: pems.cert, key: pems.key, ALPNProtocols: ['h2'] }, (socket) => {
    socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    socket.on('error', () => undefined);
  });
  // Counted on the TCP connection: a client that hangs up right after its handshake may never
  // make it to 'secureConnection'.
  server.on('connection', (tcp) => {
    tcp.on('close', () => {
      closedCount += 1;
      for (const waiter of waiters.splice(0)) waiter();
    });
  });
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  s.defer(() => new Promise((resolve) => server.close(resolve)));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    bytesAfterHandshake: () => bytes,
    closed: async (count) => {
      while (closedCount < count) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

function chainOf(d: RunningDaemon): string {
  return `${d.keys.serverCertPem.trim()}\n${d.caCertPem.trim()}\n`;
}

function caFingerprintOf(d: RunningDaemon): string {
  return fingerprint(pemToDer(d.caCertPem, 'CERTIFICATE'));
}

describe('ControlClient.connectRemote: the pinned CA', { timeout: TEST_TIMEOUT_MS }, () => {
  it('connects to a server presenting [server, CA] when the pin matches (any case, colons allowed), sending no request', async () => {
    scope = new Scope();
    const d = await startDaemon(scope);
    const server: Http2SecureServer = createSecureServer({ cert: chainOf(d), key: d.keys.serverKeyPem });
    let streams = 0;
    const session = once(server, 'session');
    server.on('stream', (stream) => {
      streams += 1;
      stream.close();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    scope.defer(() => new Promise((resolve) => server.close(resolve)));
    const pin = caFingerprintOf(d).toUpperCase().match(/../g)!.join(':');
    const client = await ControlClient.connectRemote({ address: `127.0.0.1:${(server.address() as AddressInfo).port}`, caFingerprint: pin, token: TOKEN });
    scope.defer(() => client.close());
    expect(client.target).toMatch(/^the daemon at 127\.0\.0\.1:\d+$/);
    await session;
    expect(streams).toBe(0);
  });

  it('refuses another daemon (its CA is not the pinned one), naming both fingerprints, with nothing sent', async () => {
    scope = new Scope();
    const d = await startDaemon(scope);
    const other = await startDaemon(scope, { otherCa: true });
    const server = await rawTlsServer(scope, { cert: chainOf(other), key: other.keys.serverKeyPem });
    const palyra = await expectCode(ControlClient.connectRemote({ address: server.address, caFingerprint: caFingerprintOf(d), token: TOKEN }), 'PALYRA_E_SERVER_IDENTITY');
    expect(palyra.message).toContain(caFingerprintOf(d));
    expect(palyra.message).toContain(caFingerprintOf(other));
    expect(palyra.message).not.toContain(TOKEN);
    await server.closed(1);
    expect(server.bytesAfterHandshake()).toBe(0);
  });

  it('refuses a server that presents only its own certificate (no CA to check)', async () => {
    scope = new Scope();
    const d = await startDaemon(scope);
    const server = await rawTlsServer(scope, { cert: d.keys.serverCertPem, key: d.keys.serverKeyPem });
    const error = await expectCode(ControlClient.connectRemote({ address: server.address, caFingerprint: caFingerprintOf(d), token: TOKEN }), 'PALYRA_E_SERVER_IDENTITY');
    expect(error.message).toMatch(/presented no CA certificate/);
    await server.closed(1);
    expect(server.bytesAfterHandshake()).toBe(0);
  });

  it('refuses a foreign server certificate that carries the pinned CA along in its chain: verified for real, nothing sent', async () => {
    scope = new Scope();
    const d = await startDaemon(scope);
    const other = await startDaemon(scope, { otherCa: true });
    // The attacker's own certificate (of another CA), followed by the real, public CA certificate.
    const server = await rawTlsServer(scope, { cert: `${other.keys.serverCertPem.trim()}\n${d.caCertPem.trim()}\n`, key: other.keys.serverKeyPem });
    // The pinned CA did not issue the presented certificate, so it is not taken as the CA.
    await expectCode(ControlClient.connectRemote({ address: server.address, caFingerprint: caFingerprintOf(d), token: TOKEN }), 'PALYRA_E_SERVER_IDENTITY');
    await server.closed(1);
    expect(server.bytesAfterHandshake()).toBe(0);
  });

  it("refuses a paired node's certificate (issued by the pinned CA itself) posing as the daemon: nothing sent", async () => {
    scope = new Scope();
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d, 'poser');
    // The node's own certificate chains to the pinned CA, which it sends along: the pin matches,
    // the chain verifies, and only the daemon marker can tell it is not the daemon.
    const server = await rawTlsServer(scope, { cert: `${node.certPem.trim()}\n${d.caCertPem.trim()}\n`, key: node.tlsPrivateKeyPem });
    const error = await expectCode(ControlClient.connectRemote({ address: server.address, caFingerprint: caFingerprintOf(d), token: TOKEN }), 'PALYRA_E_SERVER_IDENTITY');
    expect(error.message).not.toContain(TOKEN);
    await server.closed(2);
    expect(server.bytesAfterHandshake()).toBe(0);
  });

  it('with the CA saved by auth login: another daemon fails the real verification, and the message names both CAs; nothing sent', async () => {
    scope = new Scope();
    const d = await startDaemon(scope);
    const other = await startDaemon(scope, { otherCa: true });
    const server = await rawTlsServer(scope, { cert: chainOf(other), key: other.keys.serverKeyPem });
    const error = await expectCode(
      ControlClient.connectRemote({ address: server.address, caFingerprint: caFingerprintOf(d), caCertPem: d.caCertPem, token: TOKEN }),
      'PALYRA_E_SERVER_IDENTITY',
    );
    expect(error.message).toContain(caFingerprintOf(d));
    expect(error.message).toContain(caFingerprintOf(other));
    // The verifying connection, then the one that read the presented CA for the message.
    await server.closed(2);
    expect(server.bytesAfterHandshake()).toBe(0);
  });

  it('refuses a saved CA certificate that is not the pinned one, and a malformed pin or token, before connecting', async () => {
    scope = new Scope();
    const d = await startDaemon(scope);
    const other = await startDaemon(scope, { otherCa: true });
    const base = { address: '127.0.0.1:1', caFingerprint: caFingerprintOf(d), token: TOKEN };
    await expectCode(ControlClient.connectRemote({ ...base, caCertPem: other.caCertPem }), 'PALYRA_E_SERVER_IDENTITY');
    await expectCode(ControlClient.connectRemote({ ...base, caFingerprint: 'abc' }), 'PALYRA_E_USAGE');
    const malformed = await expectCode(ControlClient.connectRemote({ ...base, token: `${TOKEN}\r\nx-evil: 1` }), 'PALYRA_E_INVALID_ARGUMENT');
    expect(malformed.message).not.toContain(TOKEN);
  });
});
