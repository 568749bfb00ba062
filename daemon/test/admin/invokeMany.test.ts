/**
 * AdminService.InvokeMany and the client's InvocationStream over a real gRPC server on a
 * Unix socket: many calls on one stream, each routed to its caller, refused or cancelled on
 * its own; the stream opened once, closed when idle and reopened. The node side is the
 * coordinator's test node (the e2e dispatch tests run the same path against real agents).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadPalyraProto, type AdminServiceClient, type InvokeManyEvent__Output, type InvokeManyRequest } from '@palyra/proto';
import { PalyraError } from '@palyra/shared';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createInvokeHandler } from '../../src/admin/invokeHandler.js';
import { createInvokeManyHandler } from '../../src/admin/invokeManyHandler.js';
import { InvocationStream } from '../../src/client/InvocationStream.js';
import type { InvocationEvent, InvocationResult } from '../../src/client/invocation.js';
import type { SchemaWorker } from '../../src/dispatch/index.js';
import { ECHO, World, startSchemaWorker, type FakeNode } from '../dispatch/fakeNode.js';

const A = '01JA0000000000000000000AAA';

let dir: string;
let server: grpc.Server;
let client: AdminServiceClient;
let world: World;
let node: FakeNode;
/** InvokeMany streams the server has seen opened. */
let streamsOpened: number;
/**
 * One entry per stream the caller half-closed, as the server saw it: whether the server had
 * ended the call by then (read after the handler's own 'end' listener ran).
 */
let halfCloses: Array<{ serverEnded: boolean }>;

// Inputs are checked in a real schema worker thread, shared by the file.
let schemas: SchemaWorker;
beforeAll(() => {
  schemas = startSchemaWorker();
});
afterAll(() => schemas.stop());

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palyra-invoke-many-'));
  world = new World(schemas);
  node = (await world.node(A, [ECHO])).connect();
  streamsOpened = 0;
  halfCloses = [];
  const invokeMany = createInvokeManyHandler(world.coordinator);
  server = new grpc.Server();
  server.addService(loadPalyraProto().AdminService.service, {
    Invoke: createInvokeHandler(world.coordinator),
    InvokeMany: (call: grpc.ServerDuplexStream<never, never>) => {
      streamsOpened += 1;
      invokeMany(call);
      call.on('end', () => halfCloses.push({ serverEnded: call.writableEnded }));
    },
  });
  const address = `unix://${join(dir, 'admin.sock')}`;
  await new Promise<void>((resolve, reject) => server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
  client = new (loadPalyraProto().AdminService)(address, grpc.credentials.createInsecure());
});

afterEach(async () => {
  client.close();
  server.forceShutdown();
  await rm(dir, { recursive: true, force: true });
});

/** Waits until the node has been sent `count` dispatches; returns their ids. */
async function dispatched(count: number): Promise<string[]> {
  await vi.waitFor(() => expect(node.dispatchedIds.length).toBeGreaterThanOrEqual(count));
  return node.dispatchedIds;
}

async function collect(events: AsyncGenerator<InvocationEvent, void, undefined>): Promise<{ types: string[]; result: InvocationResult | undefined }> {
  const types: string[] = [];
  let result: InvocationResult | undefined;
  for await (const event of events) {
    types.push(event.type === 'state' ? `state:${event.state}` : event.type);
    if (event.type === 'result') result = event.result;
  }
  return { types, result };
}

const say = (text: string) => ({ deviceId: A, capability: 'echo.say', input: { text }, timeoutMs: 60_000 });

describe('InvocationStream over AdminService.InvokeMany', () => {
  it('runs concurrent calls over one stream and gives each caller its own result, whatever order the node answers in', async () => {
    const invocations = new InvocationStream(async () => client);
    const calls = ['one', 'two', 'three'].map((text) => collect(invocations.invoke(say(text))));
    const ids = await dispatched(3);
    const byText = new Map(node.dispatches.map((d) => [JSON.parse(d.inputJson).text as string, d.dispatchId]));
    for (const text of ['three', 'one', 'two']) {
      node.started(byText.get(text)!);
      node.output(byText.get(text)!, `out:${text}`);
      node.succeed(byText.get(text)!, { said: text });
    }
    const results = await Promise.all(calls);
    expect(results.map((r) => r.result?.output)).toEqual([{ said: 'one' }, { said: 'two' }, { said: 'three' }]);
    expect(results.map((r) => r.result?.dispatchId).sort()).toEqual([...ids].sort());
    expect(results[0]?.types).toEqual(['accepted', 'state:sent', 'state:running', 'output', 'result']);
    expect(streamsOpened).toBe(1);
    invocations.close();
  });

  it('with resultOnly, sends output and the result but not accepted or state events', async () => {
    const invocations = new InvocationStream(async () => client);
    const call = collect(invocations.invoke(say('quiet'), { resultOnly: true }));
    const [id] = await dispatched(1);
    node.started(id!);
    node.output(id!, 'chunk');
    node.succeed(id!);
    expect((await call).types).toEqual(['output', 'result']);
    invocations.close();
  });

  it('a refused call fails alone with the daemon\'s code; a rejected one ends with its result; the others go on', async () => {
    const invocations = new InvocationStream(async () => client);
    const good = collect(invocations.invoke(say('ok')));
    const refused = collect(invocations.invoke({ ...say('x'), deviceId: '01JZ0000000000000000000ZZZ' }));
    const rejected = collect(invocations.invoke({ ...say('x'), capability: 'echo.nope' }));
    await expect(refused).rejects.toMatchObject({ code: 'PALYRA_E_NODE_NOT_FOUND' });
    expect((await rejected).result).toMatchObject({ status: 'rejected', error: { code: 'PALYRA_E_CAPABILITY_NOT_FOUND' } });
    const [id] = await dispatched(1);
    node.succeed(id!);
    expect((await good).result?.status).toBe('succeeded');
    expect(streamsOpened).toBe(1);
    invocations.close();
  });

  it('aborting one call cancels its dispatch on the node and leaves the others running', async () => {
    const invocations = new InvocationStream(async () => client);
    const controller = new AbortController();
    const aborted = collect(invocations.invoke({ ...say('stop'), signal: controller.signal }));
    const other = collect(invocations.invoke(say('go')));
    await dispatched(2);
    const byText = new Map(node.dispatches.map((d) => [JSON.parse(d.inputJson).text as string, d.dispatchId]));
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'PALYRA_E_CANCELLED' });
    await vi.waitFor(() => expect(node.cancels.map(([id]) => id)).toEqual([byText.get('stop')]));
    node.succeed(byText.get('go')!);
    expect((await other).result?.status).toBe('succeeded');
    invocations.close();
  });

  it('leaving the loop before the result cancels the dispatch; leaving at the result cancels nothing', async () => {
    const invocations = new InvocationStream(async () => client);
    for await (const event of invocations.invoke(say('leave'))) {
      if (event.type === 'accepted') break;
    }
    const [first] = await dispatched(1);
    await vi.waitFor(() => expect(node.cancels.map(([id]) => id)).toEqual([first]));

    const finishing = (async () => {
      for await (const event of invocations.invoke(say('stay'))) if (event.type === 'result') return event.result;
      return undefined;
    })();
    const [, second] = await dispatched(2);
    node.succeed(second!);
    expect((await finishing)?.status).toBe('succeeded');
    expect(node.cancels).toHaveLength(1);
    invocations.close();
  });

  it('close() ends the calls still running and cancels their dispatches on the node', async () => {
    const invocations = new InvocationStream(async () => client);
    const pending = collect(invocations.invoke(say('pending')));
    const [id] = await dispatched(1);
    invocations.close();
    await expect(pending).rejects.toBeInstanceOf(PalyraError);
    await vi.waitFor(() => expect(node.cancels.map(([d]) => d)).toEqual([id]));
  });

  it('closes the stream once idle and opens a new one for the next call', async () => {
    const invocations = new InvocationStream(async () => client, { idleCloseMs: 20 });
    const first = collect(invocations.invoke(say('first')));
    const [a] = await dispatched(1);
    node.succeed(a!);
    await first;
    // The idle stream is half-closed by the client, and the server ends it (no calls left).
    await vi.waitFor(() => expect(halfCloses).toEqual([{ serverEnded: true }]));
    const second = collect(invocations.invoke(say('second')));
    const [, b] = await dispatched(2);
    node.succeed(b!);
    expect((await second).result?.status).toBe('succeeded');
    expect(streamsOpened).toBe(2);
    invocations.close();
  });
});

describe('AdminService.InvokeMany on the wire', () => {
  /** Opens a raw stream; returns the events received so far and a promise of its end status. */
  function rawStream() {
    const stream = client.invokeMany();
    const events: InvokeManyEvent__Output[] = [];
    stream.on('data', (event: InvokeManyEvent__Output) => events.push(event));
    const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
    stream.on('error', () => undefined);
    const send = (message: InvokeManyRequest) => stream.write(message);
    const invoke = (callId: number, text: string): InvokeManyRequest => ({
      callId,
      invoke: { deviceId: A, capability: 'echo.say', inputJson: JSON.stringify({ text }), timeoutMs: 60_000 },
    });
    return { stream, events, status, send, invoke };
  }

  it('refuses a call id already in use and a message with no body, naming the call', async () => {
    const raw = rawStream();
    raw.send(raw.invoke(7, 'a'));
    raw.send(raw.invoke(7, 'b'));
    raw.send({ callId: 8 });
    await vi.waitFor(() => expect(raw.events.filter((e) => e.refused)).toHaveLength(2));
    const refused = raw.events.filter((e) => e.refused).map((e) => [e.callId, e.refused?.code]);
    expect(refused).toEqual([
      [7, 'PALYRA_E_INPUT_INVALID'],
      [8, 'PALYRA_E_INPUT_INVALID'],
    ]);
    expect(await dispatched(1)).toHaveLength(1);
    raw.stream.cancel();
  });

  it('after the caller half-closes, ends the stream only once the last call has its result', async () => {
    const raw = rawStream();
    raw.send(raw.invoke(1, 'a'));
    const [id] = await dispatched(1);
    raw.stream.end();
    // The server has seen the half-close and kept the stream open for the running call.
    await vi.waitFor(() => expect(halfCloses).toHaveLength(1));
    expect(halfCloses).toEqual([{ serverEnded: false }]);
    expect(raw.events.some((e) => e.event?.result)).toBe(false);
    node.succeed(id!);
    const status = await raw.status;
    expect(status.code).toBe(grpc.status.OK);
    expect(raw.events.filter((e) => e.event?.result).map((e) => [e.callId, e.event?.result?.status])).toEqual([[1, 'succeeded']]);
  });

  it('a caller that goes away cancels every dispatch it left running', async () => {
    const raw = rawStream();
    raw.send(raw.invoke(1, 'a'));
    raw.send(raw.invoke(2, 'b'));
    const ids = await dispatched(2);
    raw.stream.cancel();
    await vi.waitFor(() => expect(node.cancels.map(([id]) => id).sort()).toEqual([...ids].sort()));
  });
});
