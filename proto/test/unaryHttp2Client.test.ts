/**
 * UnaryHttp2Client (the CLI's unary calls without grpc-js) against a real grpc-js server on a
 * Unix socket: answers decode as grpc-js decodes them, a PalyraError crosses in its trailer,
 * plain gRPC statuses map like fromServiceError maps grpc-js errors, and deadlines, aborts,
 * oversized answers and a dead socket each end the call with a clear code.
 */
import { createServer, constants, type ServerHttp2Stream } from 'node:http2';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { PalyraError } from '@palyra/shared/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnaryHttp2Client } from '../src/client/index.js';
import { loadPalyraProto, toServiceError, type NodeInfo } from '../src/index.js';

let dir: string;
let socketPath: string;
let server: grpc.Server | undefined;
let client: UnaryHttp2Client | undefined;

const NODE: NodeInfo = { deviceId: '01JA0000000000000000000AAA', name: 'alpha', status: 'online', capabilities: [{ id: 'echo.say', kind: 'read' }], healthRttMs: 3.5 };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palyra-unary-'));
  socketPath = join(dir, 'admin.sock');
});

afterEach(async () => {
  client?.close();
  client = undefined;
  server?.forceShutdown();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Serves AdminService with the given handlers (the others answer UNIMPLEMENTED). */
async function serve(handlers: grpc.UntypedServiceImplementation, maxResponseBytes?: number): Promise<UnaryHttp2Client> {
  server = new grpc.Server();
  server.addService(loadPalyraProto().AdminService.service, handlers);
  await new Promise<void>((resolve, reject) => server!.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
  client = await UnaryHttp2Client.connectUnix(socketPath, { timeoutMs: 5_000, ...(maxResponseBytes === undefined ? {} : { maxResponseBytes }) });
  return client;
}

const call = (c: UnaryHttp2Client, method: 'ListNodes' | 'RemoveNode' | 'GetStatus', request: object, timeoutMs = 5_000, signal?: AbortSignal) =>
  c.call('AdminService', method, request, { timeoutMs, ...(signal ? { signal } : {}) });

describe('UnaryHttp2Client', () => {
  it('sends the request and decodes the answer exactly as the grpc-js client does', async () => {
    let seen: unknown;
    const c = await serve({
      RemoveNode: (unaryCall: grpc.ServerUnaryCall<{ deviceId: string }, NodeInfo>, callback: grpc.sendUnaryData<NodeInfo>) => {
        seen = unaryCall.request;
        callback(null, NODE);
      },
    });
    const answer = await call(c, 'RemoveNode', { deviceId: NODE.deviceId });
    expect(seen).toEqual({ deviceId: NODE.deviceId });
    const viaGrpc = await new Promise((resolve, reject) => {
      const stub = new (loadPalyraProto().AdminService)(`unix://${socketPath}`, grpc.credentials.createInsecure());
      stub.removeNode({ deviceId: NODE.deviceId }, (error, value) => {
        stub.close();
        if (error) reject(error);
        else resolve(value);
      });
    });
    expect(answer).toEqual(viaGrpc);
    expect(answer).toMatchObject({ deviceId: NODE.deviceId, name: 'alpha', healthRttMs: 3.5 });
  });

  it('brings a PalyraError across with its code, message and details', async () => {
    const c = await serve({
      RemoveNode: (_call: unknown, callback: grpc.sendUnaryData<NodeInfo>) =>
        callback(toServiceError(new PalyraError('PALYRA_E_NODE_NOT_FOUND', 'no registered node "x" (ünïcode ok)', { details: { deviceId: 'x' } }))),
    });
    const error = await call(c, 'RemoveNode', { deviceId: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PalyraError);
    expect(error).toMatchObject({ code: 'PALYRA_E_NODE_NOT_FOUND', message: 'no registered node "x" (ünïcode ok)', details: { deviceId: 'x' } });
  });

  it('maps a plain gRPC status (here UNIMPLEMENTED, a trailers-only answer) by code', async () => {
    const c = await serve({});
    await expect(call(c, 'GetStatus', {})).rejects.toMatchObject({ code: 'PALYRA_E_INTERNAL', message: expect.stringContaining('GetStatus') });
  });

  it('ends a call the server never answers with PALYRA_E_TIMEOUT at the deadline', async () => {
    const c = await serve({ ListNodes: () => undefined });
    await expect(call(c, 'ListNodes', {}, 200)).rejects.toMatchObject({ code: 'PALYRA_E_TIMEOUT' });
  });

  it('ends a call whose signal aborts with PALYRA_E_CANCELLED, and refuses one already aborted', async () => {
    const c = await serve({ ListNodes: () => undefined });
    const controller = new AbortController();
    const pending = call(c, 'ListNodes', {}, 5_000, controller.signal);
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: 'PALYRA_E_CANCELLED' });
    await expect(call(c, 'ListNodes', {}, 5_000, controller.signal)).rejects.toMatchObject({ code: 'PALYRA_E_CANCELLED' });
  });

  it('accepts a node list above grpc-js\'s 4 MiB default (a daemon with 10,000 nodes), and refuses one above its cap', async () => {
    const big = Array.from({ length: 5000 }, (_, i) => ({ ...NODE, deviceId: `${i}`, name: 'n'.repeat(1000) }));
    const handlers = { ListNodes: (_call: unknown, callback: grpc.sendUnaryData<{ nodes: NodeInfo[] }>) => callback(null, { nodes: big }) };
    const roomy = await serve(handlers);
    expect(((await call(roomy, 'ListNodes', {})) as { nodes: unknown[] }).nodes).toHaveLength(5000);
    roomy.close();
    server?.forceShutdown();
    const c = await serve(handlers, 1024 * 1024);
    await expect(call(c, 'ListNodes', {})).rejects.toMatchObject({ code: 'PALYRA_E_INTERNAL', message: expect.stringContaining('larger than') });
  });

  it('keeps the connection for later calls after a failed one', async () => {
    let calls = 0;
    const c = await serve({
      ListNodes: (_call: unknown, callback: grpc.sendUnaryData<{ nodes: NodeInfo[] }>) => {
        calls += 1;
        if (calls === 1) callback({ code: grpc.status.UNAVAILABLE, details: 'busy' });
        else callback(null, { nodes: [NODE] });
      },
    });
    await expect(call(c, 'ListNodes', {})).rejects.toMatchObject({ code: 'PALYRA_E_DAEMON_UNREACHABLE' });
    await expect(call(c, 'ListNodes', {})).resolves.toMatchObject({ nodes: [{ deviceId: NODE.deviceId }] });
  });

  it('opens a new connection after the server went away, and fails with a coded error while none listens', async () => {
    const handlers = { ListNodes: (_call: unknown, callback: grpc.sendUnaryData<{ nodes: NodeInfo[] }>) => callback(null, { nodes: [NODE] }) };
    const c = await serve(handlers);
    await expect(call(c, 'ListNodes', {})).resolves.toMatchObject({ nodes: [{ deviceId: NODE.deviceId }] });
    for (let restart = 0; restart < 2; restart += 1) {
      await new Promise<void>((resolve) => server!.tryShutdown(() => resolve()));
      const error: unknown = await call(c, 'ListNodes', {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PalyraError);
      expect((error as PalyraError).code).toBe('PALYRA_E_DAEMON_UNREACHABLE');
      server = new grpc.Server();
      server.addService(loadPalyraProto().AdminService.service, handlers);
      await new Promise<void>((resolve, reject) => server!.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
      await expect(call(c, 'ListNodes', {})).resolves.toMatchObject({ nodes: [{ deviceId: NODE.deviceId }] });
    }
  });

  it('does not send a change twice when the connection dies under it: the caller learns the outcome is unknown', async () => {
    let calls = 0;
    const c = await serve({
      RemoveNode: () => {
        calls += 1;
        // The daemon dies after it got the request, before it answered.
        server!.forceShutdown();
      },
    });
    const error: unknown = await call(c, 'RemoveNode', { deviceId: NODE.deviceId }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PalyraError);
    expect((error as PalyraError).code).toBe('PALYRA_E_DAEMON_UNREACHABLE');
    expect(calls).toBe(1);
  });

  it('sends a read again on a fresh connection when the first died before an answer, and a change only when it was refused unprocessed', async () => {
    // A bare HTTP/2 server, to lose a connection or refuse a stream at a chosen request.
    const seen: string[] = [];
    let misbehave: ((stream: ServerHttp2Stream) => void) | undefined;
    const raw = createServer();
    raw.on('stream', (stream, headers) => {
      seen.push(String(headers[':path']));
      stream.on('error', () => undefined); // the refused stream's own error, on the server side
      const fault = misbehave;
      misbehave = undefined;
      if (fault !== undefined) {
        fault(stream);
        return;
      }
      // An empty ListNodesResponse / NodeInfo: one zero-length message, then status OK.
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.alloc(5));
    });
    await new Promise<void>((resolve) => raw.listen(socketPath, resolve));
    try {
      client = await UnaryHttp2Client.connectUnix(socketPath, { timeoutMs: 5_000 });
      const c = client;

      misbehave = (stream) => stream.session?.destroy();
      await expect(c.call('AdminService', 'ListNodes', {}, { timeoutMs: 5_000, idempotent: true })).resolves.toEqual({ nodes: [], nextPageToken: '' });
      expect(seen).toHaveLength(2);

      seen.length = 0;
      misbehave = (stream) => stream.session?.destroy();
      await expect(c.call('AdminService', 'RemoveNode', { deviceId: NODE.deviceId }, { timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'PALYRA_E_DAEMON_UNREACHABLE' });
      expect(seen).toHaveLength(1);

      seen.length = 0;
      misbehave = (stream) => stream.close(constants.NGHTTP2_REFUSED_STREAM);
      await expect(c.call('AdminService', 'RemoveNode', { deviceId: NODE.deviceId }, { timeoutMs: 5_000 })).resolves.toMatchObject({ deviceId: '' });
      expect(seen).toHaveLength(2);
    } finally {
      client?.close();
      client = undefined;
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  it('fails to connect to a socket nobody listens on with PALYRA_E_DAEMON_UNREACHABLE', async () => {
    await expect(UnaryHttp2Client.connectUnix(join(dir, 'nobody.sock'), { timeoutMs: 2_000 })).rejects.toMatchObject({ code: 'PALYRA_E_DAEMON_UNREACHABLE' });
  });

  it('refuses a streaming method', async () => {
    const c = await serve({});
    await expect(c.call('AdminService', 'WatchApprovals', {}, { timeoutMs: 1_000 })).rejects.toMatchObject({ code: 'PALYRA_E_INTERNAL', message: expect.stringMatching(/not a unary method/) });
  });
});
