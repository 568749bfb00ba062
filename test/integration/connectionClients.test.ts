/**
 * The HTTP API's admin client per HTTP connection (daemon/src/admin/http/ConnectionClients.ts),
 * against a real in-process daemon and real sockets: a connection's requests share one client
 * of their token (one admin connection instead of one per request), a request with another
 * token gets its own and the old one is closed, and the client goes with its connection, its
 * token's signal (revocation, expiry), a failure, and the daemon's stop.
 */
import { createServer, connect, type Socket } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionClients } from '../../daemon/src/admin/http/ConnectionClients.js';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import { pollUntil } from '../helpers/processes.js';
import { CA_SETUP_TIMEOUT_MS, Scope, TEST_TIMEOUT_MS, prepareCas, startDaemon, type RunningDaemon } from './harness.js';

let scope: Scope;

beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

/** The server side of a real TCP connection on 127.0.0.1 (what an HTTP request's req.socket is). */
async function serverSocket(): Promise<Socket> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  scope.defer(() => new Promise((resolve) => server.close(resolve)));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const address = server.address();
  const client = connect({ host: '127.0.0.1', port: typeof address === 'object' && address !== null ? address.port : 0 });
  client.on('error', () => undefined);
  scope.defer(() => client.destroy());
  const socket = await accepted;
  scope.defer(() => socket.destroy());
  return socket;
}

async function setup(): Promise<{ d: RunningDaemon; opened: () => number; open: (token: string) => (signal: AbortSignal) => Promise<ControlClient>; mint: (name: string) => Promise<{ token: string; id: string }> }> {
  const d = await startDaemon(scope, { daemon: { adminListen: { host: '127.0.0.1', port: 0 } } });
  let count = 0;
  const open = (token: string) => async (signal: AbortSignal) => {
    count += 1;
    const client = await ControlClient.connect(d.stateDir, { as: { token, remoteAddress: '127.0.0.1:4000' }, signal });
    scope.defer(() => client.close());
    return client;
  };
  const mint = async (name: string): Promise<{ token: string; id: string }> => {
    const created = await d.control.createToken({ name, role: 'viewer', ttlSeconds: 600 });
    return { token: created.token, id: created.info?.id ?? '' };
  };
  return { d, opened: () => count, open, mint };
}

const isClosed = async (client: ControlClient): Promise<boolean> =>
  client.whoAmI().then(
    () => false,
    (error: { code?: string }) => error.code === 'PALYRA_E_CANCELLED',
  );

describe('ConnectionClients (the HTTP API\'s admin client per connection)', () => {
  it(
    'shares one client across a connection\'s requests of one token; another token, the connection\'s end and a failure close it',
    async () => {
      const { opened, open, mint } = await setup();
      const clients = new ConnectionClients();
      const [a, b] = [await mint('conn-a'), await mint('conn-b')];
      const socket = await serverSocket();
      const never = new AbortController().signal;

      const first = await clients.lease(socket, a.token, '127.0.0.1:4000', never, open(a.token));
      first.done();
      const second = await clients.lease(socket, a.token, '127.0.0.1:4000', never, open(a.token));
      expect(second.client).toBe(first.client);
      expect(opened()).toBe(1);
      // Kept open between requests, acting as its token.
      expect((await second.client.whoAmI()).tokenId).toBe(a.id);
      second.done();

      // Another token on the same connection: a client of its own; the first one is closed.
      const other = await clients.lease(socket, b.token, '127.0.0.1:4000', never, open(b.token));
      expect(other.client).not.toBe(first.client);
      expect((await other.client.whoAmI()).tokenId).toBe(b.id);
      expect(await isClosed(first.client)).toBe(true);
      other.done();

      // A failure drops the client: the next request opens a new one.
      const failing = await clients.lease(socket, b.token, '127.0.0.1:4000', never, open(b.token));
      failing.done(true);
      expect(await isClosed(other.client)).toBe(true);
      expect(clients.size).toBe(0);
      const fresh = await clients.lease(socket, b.token, '127.0.0.1:4000', never, open(b.token));
      expect(fresh.client).not.toBe(other.client);
      fresh.done();
      expect(opened()).toBe(3);

      // The connection closes: its client goes with it.
      socket.destroy();
      await pollUntil(async () => (clients.size === 0 ? true : undefined), { what: 'the client to be released with its connection' });
      expect(await isClosed(fresh.client)).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'the token\'s signal (revocation, expiry) and the daemon\'s stop release the client; after the stop a request gets a client of its own',
    async () => {
      const { open, mint } = await setup();
      const clients = new ConnectionClients();
      const a = await mint('conn-revoked');
      const socket = await serverSocket();
      const token = new AbortController();

      const lease = await clients.lease(socket, a.token, '127.0.0.1:4000', token.signal, open(a.token));
      lease.done();
      expect(clients.size).toBe(1);
      token.abort();
      expect(clients.size).toBe(0);
      expect(await isClosed(lease.client)).toBe(true);

      // Past revocation nothing is opened or kept (the HTTP layer refuses such a token first anyway).
      await expect(clients.lease(socket, a.token, '127.0.0.1:4000', token.signal, open(a.token))).rejects.toMatchObject({ code: 'PALYRA_E_CANCELLED' });
      expect(clients.size).toBe(0);

      const live = new AbortController().signal;
      const kept = await clients.lease(socket, a.token, '127.0.0.1:4000', live, open(a.token));
      clients.closeAll();
      expect(clients.size).toBe(0);
      expect(await isClosed(kept.client)).toBe(true);
      kept.done();
      const afterStop = await clients.lease(socket, a.token, '127.0.0.1:4000', live, open(a.token));
      expect(clients.size).toBe(0);
      afterStop.done();
      expect(await isClosed(afterStop.client)).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );
});
