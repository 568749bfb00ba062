/**
 * Attacks on the remote admin endpoint's HTTP API (issue 18 review) by a peer that holds a valid
 * token, over raw TLS sockets against an in-process daemon: a request body that trickles in for
 * ever, an endless body after a 413. Each must end with the connection closed by the daemon.
 */
import { connect as connectTcp } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { DAEMON_TLS_NAME, checkDaemonCertificate } from '@palyra/shared/x509/daemonIdentity';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HTTP_REQUEST_TIMEOUT_MS } from '../../daemon/src/admin/http/createAdminHttpServer.js';
import { CA_SETUP_TIMEOUT_MS, Scope, TEST_TIMEOUT_MS, prepareCas, startDaemon, within, type RunningDaemon } from './harness.js';

let scope: Scope;

beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

interface RawPeer {
  socket: TLSSocket;
  /** Everything the daemon sent so far. */
  received(): string;
  /** Resolves once the daemon sent something containing `text`. */
  waitFor(text: string): Promise<void>;
  /** Resolves when the connection is closed. */
  closed: Promise<void>;
}

async function setup(): Promise<{ d: RunningDaemon; host: string; port: number; token: string }> {
  const d = await startDaemon(scope, { daemon: { adminListen: { host: '127.0.0.1', port: 0 } } });
  const address = d.daemon.info.adminTlsAddress ?? '';
  const colon = address.lastIndexOf(':');
  const token = (await d.control.createToken({ name: 'attacker', role: 'viewer', ttlSeconds: 600 })).token;
  return { d, host: address.slice(0, colon), port: Number(address.slice(colon + 1)), token };
}

async function rawPeer(d: RunningDaemon, host: string, port: number): Promise<RawPeer> {
  const socket = connect({ host, port, ca: [d.caCertPem], servername: DAEMON_TLS_NAME, ALPNProtocols: ['http/1.1'], checkServerIdentity: (_h, cert) => checkDaemonCertificate(cert) });
  scope.defer(() => socket.destroy());
  let text = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const waiter of waiters.splice(0)) {
      if (text.includes(waiter.text)) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    received: () => text,
    waitFor: (wanted) => (text.includes(wanted) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ text: wanted, resolve }))),
    closed,
  };
}

describe('the HTTP API against a token holder that holds connections', () => {
  it(
    'closes a connection whose request body trickles in for ever (slow body after a valid token)',
    async () => {
      const { d, host, port, token } = await setup();
      const peer = await rawPeer(d, host, port);
      // Valid headers authenticate the connection (AuthDeadline no longer applies to it); the
      // body then comes one byte a second: without a request timeout, a slot held for ever.
      peer.socket.write(`POST /v1/tool_calls HTTP/1.1\r\nHost: palyra\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`);
      const drip = setInterval(() => {
        if (!peer.socket.destroyed) peer.socket.write(' ');
      }, 1_000);
      try {
        await within(peer.closed, HTTP_REQUEST_TIMEOUT_MS + 10_000, 'the daemon to close a request that never ends');
      } finally {
        clearInterval(drip);
      }
      expect(peer.received()).toMatch(/^HTTP\/1\.1 408 /);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers 413 to a body declared too large and closes the connection instead of reading the rest',
    async () => {
      const { d, host, port, token } = await setup();
      const peer = await rawPeer(d, host, port);
      peer.socket.write(
        `POST /v1/tool_calls HTTP/1.1\r\nHost: palyra\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${1024 ** 4}\r\n\r\n`,
      );
      await within(peer.waitFor('PALYRA_E_BODY_TOO_LARGE'), 15_000, 'the 413');
      expect(peer.received()).toMatch(/^HTTP\/1\.1 413 /);
      // The peer goes on sending its terabyte: the daemon must not swallow it.
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = setInterval(() => {
        if (!peer.socket.destroyed) peer.socket.write(chunk);
      }, 20);
      try {
        await within(peer.closed, 5_000, 'the daemon to close the connection after the 413');
      } finally {
        clearInterval(pump);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers 413 (not a reset) to a chunked body that grows past the limit',
    async () => {
      const { d, host, port, token } = await setup();
      const peer = await rawPeer(d, host, port);
      peer.socket.write(`POST /v1/tool_calls HTTP/1.1\r\nHost: palyra\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
      const pump = setInterval(() => {
        if (!peer.socket.destroyed) peer.socket.write(frame);
      }, 5);
      try {
        await within(peer.closed, 15_000, 'the daemon to end the connection');
      } finally {
        clearInterval(pump);
      }
      expect(peer.received()).toMatch(/^HTTP\/1\.1 413 /);
      expect(peer.received()).toContain('PALYRA_E_BODY_TOO_LARGE');
    },
    TEST_TIMEOUT_MS,
  );
});

describe('the remote admin port against hostile connections', () => {
  it(
    'keeps serving after connections that close at once, lie about their protocol or send garbage',
    async () => {
      const { d, host, port, token } = await setup();
      const open = (alpn: string[] | undefined): TLSSocket => {
        const socket = connect({ host, port, ca: [d.caCertPem], servername: DAEMON_TLS_NAME, ...(alpn ? { ALPNProtocols: alpn } : {}), checkServerIdentity: (_h, cert) => checkDaemonCertificate(cert) });
        socket.on('error', () => undefined);
        // Read (and drop) what the daemon answers: a paused socket never sees its end.
        socket.resume();
        scope.defer(() => socket.destroy());
        return socket;
      };
      const sends: [string[] | undefined, string | Buffer | undefined][] = [
        [['h2'], undefined],
        [['http/1.1'], undefined],
        [['h2'], 'GET /v1/tools HTTP/1.1\r\nHost: x\r\n\r\n'],
        [['http/1.1'], 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
        [['h2'], Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x04\x08\x00\x00\x00\x00\x00', 'latin1')],
        [undefined, `GET /v1/tools HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}x\r\n\r\n`],
        [['http/1.1'], `GET /v1/tools HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\nAuthorization: Bearer ${token}\r\n\r\n`],
        [['http/1.1'], `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nAuthorization: Bearer ${token}\r\n\r\n`],
        [['http/1.1'], `GET /v1/tools HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`],
        // Header floods: one header over the 16 KiB, and thousands of small ones.
        [['http/1.1'], `GET /v1/tools HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
        [['http/1.1'], `GET /v1/tools HTTP/1.1\r\nHost: x\r\n${'X-A: b\r\n'.repeat(5_000)}Authorization: Bearer ${token}\r\n\r\n`],
      ];
      for (const [index, [alpn, data]] of sends.entries()) {
        const socket = open(alpn);
        await new Promise<void>((resolve) => {
          socket.once('secureConnect', () => resolve());
          socket.once('close', () => resolve());
        });
        if (data === undefined) socket.destroy();
        else socket.end(data);
        await within(new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve()))), 15_000, `hostile connection ${index} to end`);
      }
      // Still there: a token's request answers.
      const peer = await rawPeer(d, host, port);
      peer.socket.write(`GET /v1/tools HTTP/1.1\r\nHost: palyra\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      await within(peer.waitFor('"object":"list"'), 15_000, 'an answer after the hostile connections');
      expect(await d.control.whoAmI()).toBeDefined();
    },
    TEST_TIMEOUT_MS,
  );
});

describe("the daemon's stop", () => {
  it(
    'closes every connection of the remote admin port: before TLS, unauthenticated (either protocol), idle, mid-request',
    async () => {
      const { d, host, port, token } = await setup();
      const peers: RawPeer[] = [];
      // Unauthenticated, one of each protocol, and one that sent half a request.
      peers.push(await rawPeer(d, host, port));
      const h2 = connect({ host, port, ca: [d.caCertPem], servername: DAEMON_TLS_NAME, ALPNProtocols: ['h2'], checkServerIdentity: (_h, cert) => checkDaemonCertificate(cert) });
      h2.on('error', () => undefined);
      h2.resume();
      scope.defer(() => h2.destroy());
      const h2Closed = new Promise<void>((resolve) => h2.once('close', () => resolve()));
      await new Promise<void>((resolve) => h2.once('secureConnect', () => resolve()));
      const half = await rawPeer(d, host, port);
      half.socket.write('GET /v1/tools HTTP/1.1\r\nHost: palyra\r\n');
      peers.push(half);
      // Authenticated: idle on keep-alive, and in the middle of a body.
      const idle = await rawPeer(d, host, port);
      idle.socket.write(`GET /v1/tools HTTP/1.1\r\nHost: palyra\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      await within(idle.waitFor('"object":"list"'), 15_000, 'the first response');
      peers.push(idle);
      const body = await rawPeer(d, host, port);
      body.socket.write(`POST /v1/tool_calls HTTP/1.1\r\nHost: palyra\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
      peers.push(body);
      // And one that never starts TLS.
      const tcp = connectTcp({ host, port });
      tcp.on('error', () => undefined);
      tcp.resume();
      scope.defer(() => tcp.destroy());
      const tcpClosed = new Promise<void>((resolve) => tcp.once('close', () => resolve()));
      await new Promise<void>((resolve) => tcp.once('connect', () => resolve()));
      const started = Date.now();
      await within(d.daemon.stop(), 10_000, 'the daemon to stop');
      await within(Promise.all([...peers.map((peer) => peer.closed), h2Closed, tcpClosed]), 5_000, 'every connection to be closed');
      expect(Date.now() - started).toBeLessThan(10_000);
    },
    TEST_TIMEOUT_MS,
  );
});
