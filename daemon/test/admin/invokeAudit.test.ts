/**
 * Invoke over a real gRPC server with a real AuditLog: the dispatch's entry (who, node,
 * capability, SHA-256 and size of the input, never the input; outcome, dispatch id) is on
 * disk when the caller receives the result event, and a refused invocation is recorded too.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadPalyraProto, type AdminServiceClient, type InvokeEvent__Output, type InvokeRequest } from '@palyra/proto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { bindActor, localOwner } from '../../src/access/callActor.js';
import { createInvokeHandler } from '../../src/admin/invokeHandler.js';
import type { AuditLog } from '../../src/audit/AuditLog.js';
import type { AuditEntry } from '../../src/audit/types.js';
import type { SchemaWorker } from '../../src/dispatch/index.js';
import { ECHO, World, startSchemaWorker, type FakeNode } from '../dispatch/fakeNode.js';
import { AuditKit } from '../audit/auditTestKit.js';

const A = '01JA0000000000000000000AAA';

let kit: AuditKit;
let log: AuditLog;
let server: grpc.Server;
let client: AdminServiceClient;
let world: World;
let node: FakeNode;

let schemas: SchemaWorker;
beforeAll(() => {
  schemas = startSchemaWorker();
});
afterAll(() => schemas.stop());

beforeEach(async () => {
  kit = await AuditKit.create();
  log = await kit.open();
  world = new World(schemas);
  node = (await world.node(A, [ECHO])).connect();
  const invoke = createInvokeHandler(world.coordinator, undefined, log);
  server = new grpc.Server();
  server.addService(loadPalyraProto().AdminService.service, {
    // What the access gate does for the admin socket: the caller is the local owner.
    Invoke: (call: grpc.ServerWritableStream<never, never>) => {
      bindActor(call, localOwner());
      invoke(call);
    },
  });
  const address = `unix://${join(kit.stateDir, 'admin.sock')}`;
  await new Promise<void>((resolve, reject) => server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
  client = new (loadPalyraProto().AdminService)(address, grpc.credentials.createInsecure());
});

afterEach(async () => {
  client.close();
  server.forceShutdown();
  await log.stop();
  await kit.remove();
});

/** The dispatch entries on disk right now (read synchronously, inside an event handler). */
function dispatchEntriesOnDisk(): AuditEntry[] {
  return readFileSync(join(kit.dir, 'audit.log'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AuditEntry)
    .filter((entry) => entry.action === 'dispatch');
}

function invoke(request: InvokeRequest): Promise<{ onDiskAtResult?: AuditEntry[]; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const stream = client.Invoke(request);
    stream.on('data', (event: InvokeEvent__Output) => {
      if (event.body === 'result') resolve({ onDiskAtResult: dispatchEntriesOnDisk() });
    });
    stream.on('error', (error: grpc.ServiceError) => resolve({ error }));
  });
}

describe('Invoke records its dispatch before the result reaches the caller', () => {
  it('writes who, node, capability, input hash and size (never the input), outcome and dispatch id', async () => {
    const inputJson = JSON.stringify({ text: 'sec-7d2e9' });
    const answered = invoke({ deviceId: A, capability: 'echo.say', inputJson, timeoutMs: 60_000 });
    await vi.waitFor(() => expect(node.dispatchedIds.length).toBe(1));
    const [id] = node.dispatchedIds;
    node.succeed(id as string);
    const { onDiskAtResult } = await answered;
    expect(onDiskAtResult).toHaveLength(1);
    expect(onDiskAtResult?.[0]).toMatchObject({
      action: 'dispatch',
      actor: { kind: 'local', uid: process.getuid?.() ?? 0 },
      remoteAddress: 'unix',
      outcome: 'succeeded',
      node: A,
      capability: 'echo.say',
      inputSha256: createHash('sha256').update(inputJson).digest('hex'),
      inputBytes: Buffer.byteLength(inputJson),
      details: { dispatchId: id },
    });
    expect(readFileSync(join(kit.dir, 'audit.log'), 'utf8')).not.toContain('sec-7d2e9');
  });

  it('records an invocation the daemon refuses (bad input) before the caller hears of it', async () => {
    const { error } = await invoke({ deviceId: A, capability: 'echo.say', inputJson: '{not json', timeoutMs: 60_000 });
    expect(error).toBeDefined();
    const entries = dispatchEntriesOnDisk();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ outcome: 'refused', errorCode: 'PALYRA_E_INPUT_INVALID', capability: 'echo.say', inputBytes: 9 });
  });
});
