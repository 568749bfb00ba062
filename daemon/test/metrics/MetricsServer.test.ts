import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsServer } from '../../src/metrics/MetricsServer.js';

const servers: MetricsServer[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function start(limits: ConstructorParameters<typeof MetricsServer>[2] = {}): Promise<MetricsServer> {
  const server = new MetricsServer({ host: '127.0.0.1', port: 0 }, async () => ({ contentType: 'text/plain; version=0.0.4', body: 'palyra_up 1\n' }), limits);
  servers.push(server);
  await server.start();
  return server;
}

/** Sends raw bytes and collects everything the server answers until it closes the connection. */
function raw(server: MetricsServer, request: string): Promise<{ text: string; closedAfterMs: number; reset: boolean }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(server.address.port, '127.0.0.1');
    sockets.push(socket);
    let text = '';
    let reset = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') reset = true;
      else reject(error);
    });
    socket.on('close', () => resolve({ text, closedAfterMs: Date.now() - started, reset }));
    socket.write(request);
  });
}

const status = (text: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);

describe('MetricsServer bounds', () => {
  it('serves GET /metrics and 404 for anything else', async () => {
    const server = await start();
    const ok = await fetch(`http://127.0.0.1:${server.address.port}/metrics`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('palyra_up 1\n');
    for (const [method, path] of [['GET', '/'], ['GET', '/metrics/x'], ['POST', '/metrics'], ['DELETE', '/metrics'], ['GET', '/debug']] as const) {
      const response = await fetch(`http://127.0.0.1:${server.address.port}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      await response.text();
    }
  });

  it('refuses a request with a body (413) and oversized headers (431)', async () => {
    const server = await start({ maxHeaderBytes: 2048 });
    const withBody = await raw(server, 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
    expect(status(withBody.text)).toBe(413);
    const huge = await raw(server, `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(8192)}\r\n\r\n`);
    expect(status(huge.text)).toBe(431);
  });

  it('cuts off a client that does not finish its headers in time (408)', async () => {
    const server = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const slow = await raw(server, 'GET /metrics HTTP/1.1\r\nHost: x\r\n');
    expect(status(slow.text)).toBe(408);
    expect(slow.closedAfterMs).toBeLessThan(5_000);
  });

  it('holds at most maxConnections connections', async () => {
    const server = await start({ maxConnections: 2 });
    const held = [connect(server.address.port, '127.0.0.1'), connect(server.address.port, '127.0.0.1')];
    sockets.push(...held);
    await Promise.all(held.map((socket) => new Promise((resolve) => socket.once('connect', resolve))));
    const third = await raw(server, 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    // Closed at once, unanswered (a reset or a plain close, depending on timing).
    expect(third.text).toBe('');
    // The held ones still get their answer.
    const [first] = held;
    const answered = new Promise<string>((resolve) => {
      let text = '';
      first?.setEncoding('utf8');
      first?.on('data', (chunk: string) => (text += chunk));
      first?.on('close', () => resolve(text));
    });
    first?.write('GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(status(await answered)).toBe(200);
  });
});
