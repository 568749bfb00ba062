/**
 * Scopes and node selectors narrowing a token, through a real daemon's remote admin endpoint
 * and a real paired agent (filesystem and shell plugins): a token scoped to fs.read and fs.list
 * invokes those and is refused shell.exec (Invoke and InvokeMany); a token whose node selector
 * does not match the node cannot invoke on it and does not see it, its dispatches or its events
 * (as if they did not exist), while one whose selector matches does. InvokeMany counts each
 * request against the token's rate.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteStream, remoteAdminClient, type RemoteAdmin, type RemoteError } from '../helpers/adminRemote.js';
import { DaemonProcess, pairNode } from '../helpers/daemonHarness.js';
import { startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, stopProcesses, TempDirs, type RunningProcess } from '../helpers/processes.js';

const NODE_NAME = 'scoped-node';
const dirs = new TempDirs();
let daemon: DaemonProcess | undefined;
let agent: RunningProcess | undefined;
let deviceId = '';
const clients: RemoteAdmin[] = [];

interface InvokeEventMessage {
  accepted?: { dispatchId: string };
  result?: { dispatchId: string; status: string; outputJson: string; error: { code: string } | null };
}

function running(): DaemonProcess {
  if (daemon === undefined) throw new Error('the daemon did not start');
  return daemon;
}

async function tokenClient(...args: string[]): Promise<{ client: RemoteAdmin; id: string }> {
  const created = await running().json<{ token: string; id: string }>('tokens', 'create', '--ttl', '1h', ...args);
  const address = (running().ready as { adminTls?: string }).adminTls ?? '';
  const client = await remoteAdminClient(address, running().stateDir, created.token);
  clients.push(client);
  return { client, id: created.id };
}

async function failure(promise: Promise<unknown>): Promise<RemoteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as RemoteError,
  );
  if (error === undefined) throw new Error('the call succeeded');
  return error;
}

/** One Invoke over the remote endpoint: its messages, and how the stream ended. */
async function invoke(client: RemoteAdmin, capability: string, input: unknown): Promise<{ messages: InvokeEventMessage[]; ended: RemoteError | null }> {
  const stream = client.serverStream<InvokeEventMessage>('Invoke', { deviceId, capability, inputJson: JSON.stringify(input), timeoutMs: 30_000 });
  const ended = await stream.ended;
  return { messages: stream.messages, ended };
}

beforeAll(async () => {
  const base = await dirs.make('palyra-e2e-admin-scopes-');
  const root = join(base, 'root');
  await mkdir(root);
  await writeFile(join(root, 'hello.txt'), 'hello from the node');
  daemon = await DaemonProcess.start(join(base, 'daemon'), ['--admin-listen', '127.0.0.1:0']);
  const nodeDir = join(base, 'node');
  deviceId = await pairNode(daemon, nodeDir, NODE_NAME);
  const config = await writeNodeConfig(base, {
    plugins: [
      { use: 'filesystem', grants: { roots: [root] } },
      { use: 'shell', grants: { commands: ['echo'], roots: [root] } },
    ],
  });
  agent = await startAgent(nodeDir, config);
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  for (const client of clients) client.close();
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('scopes and node selectors narrow a token', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('a token scoped to fs.read,fs.list invokes fs.read and is refused shell.exec (FORBIDDEN naming the permission, capability and node)', async () => {
    expect(agent?.running).toBe(true);
    const { client, id } = await tokenClient('--name', 'reader', '--role', 'operator', '--scope', 'fs.read,fs.list', '--json');
    const read = await invoke(client, 'fs.read', { path: 'hello.txt' });
    expect(read.ended).toBeNull();
    const result = read.messages.find((m) => m.result)?.result;
    expect(result?.status, JSON.stringify(result?.error)).toBe('succeeded');
    expect(result?.outputJson).toContain('hello from the node');

    const shell = await invoke(client, 'shell.exec', { command: 'echo', args: ['hi'] });
    expect(shell.messages).toEqual([]);
    expect(shell.ended?.code).toBe('PALYRA_E_FORBIDDEN');
    expect(shell.ended?.grpcCode).toBe(grpc.status.PERMISSION_DENIED);
    expect(shell.ended?.details).toMatchObject({ permission: 'dispatch.invoke', capability: 'shell.exec', node: deviceId });

    // The journal names the token as the caller.
    const listed = await client.unary<{ dispatches: { dispatchId: string; caller: string }[] }>('ListDispatches', {});
    expect(listed.dispatches.find((d) => d.dispatchId === result?.dispatchId)?.caller).toBe(`token:${id}`);
  });

  it('InvokeMany: each request is checked against the scopes and counted against the rate', async () => {
    const { client } = await tokenClient('--name', 'many', '--role', 'operator', '--scope', 'fs.*', '--rate', '10/s', '--json');
    const call = (client.client as unknown as { InvokeMany(): grpc.ClientDuplexStream<object, { callId: number; event?: InvokeEventMessage; refused?: { code: string; detailsJson: string } }> }).InvokeMany();
    const stream = new RemoteStream(call);
    await stream.admitted;
    const request = (callId: number, capability: string, input: unknown) => ({ callId, invoke: { deviceId, capability, inputJson: JSON.stringify(input), timeoutMs: 30_000 }, resultOnly: true });
    call.write(request(1, 'fs.stat', { path: 'hello.txt' }));
    call.write(request(2, 'shell.exec', { command: 'echo', args: ['no'] }));
    call.write(request(3, 'fs.stat', { path: 'hello.txt' }));
    call.end();
    expect(await stream.ended).toBeNull();
    const byCall = new Map<number, (typeof stream.messages)[number][]>();
    for (const message of stream.messages) byCall.set(message.callId, [...(byCall.get(message.callId) ?? []), message]);
    expect(byCall.get(1)?.find((m) => m.event?.result)?.event?.result?.status).toBe('succeeded');
    // The second request is refused by scope alone; the others are within the rate.
    expect(byCall.get(2)?.[0]?.refused?.code).toBe('PALYRA_E_FORBIDDEN');
    expect(JSON.parse(byCall.get(2)?.[0]?.refused?.detailsJson ?? '{}')).toMatchObject({ permission: 'dispatch.invoke', capability: 'shell.exec' });
    expect(byCall.get(3)?.find((m) => m.event?.result)?.event?.result?.status).toBe('succeeded');

    // A rate of one a minute: the second request of a stream is over it.
    const { client: slow } = await tokenClient('--name', 'slow-many', '--role', 'operator', '--rate', '1/m', '--json');
    const slowCall = (slow.client as unknown as { InvokeMany(): grpc.ClientDuplexStream<object, { callId: number; event?: InvokeEventMessage; refused?: { code: string; detailsJson: string } }> }).InvokeMany();
    const slowStream = new RemoteStream(slowCall);
    await slowStream.admitted;
    slowCall.write(request(1, 'fs.stat', { path: 'hello.txt' }));
    slowCall.write(request(2, 'fs.stat', { path: 'hello.txt' }));
    slowCall.end();
    expect(await slowStream.ended).toBeNull();
    const refused = slowStream.messages.find((m) => m.callId === 2)?.refused;
    expect(refused?.code).toBe('PALYRA_E_RATE_LIMITED');
    expect(JSON.parse(refused?.detailsJson ?? '{}').retryAfterMs).toBeGreaterThan(1000);
    expect(slowStream.messages.find((m) => m.callId === 1)?.event?.result?.status).toBe('succeeded');
  });

  it('a node selector that does not match: no invoke, and the node, its dispatches and its events do not exist for the token', async () => {
    const { client: owner } = await tokenClient('--name', 'all-nodes', '--role', 'operator', '--json');
    const { client: matching } = await tokenClient('--name', 'matching', '--role', 'operator', '--nodes', `name=${NODE_NAME},platform,!gpu`, '--json');
    const { client: outside, id: outsideId } = await tokenClient('--name', 'outside', '--role', 'operator', '--nodes', 'name=some-other-node', '--json');

    const matchingEvents = matching.serverStream<{ type: string; eventJson: string }>('StreamEvents', {});
    const outsideEvents = outside.serverStream<{ type: string; eventJson: string }>('StreamEvents', {});
    await Promise.all([matchingEvents.admitted, outsideEvents.admitted]);

    const refused = await invoke(outside, 'fs.stat', { path: 'hello.txt' });
    expect(refused.ended?.code).toBe('PALYRA_E_FORBIDDEN');
    expect(refused.ended?.details).toMatchObject({ permission: 'dispatch.invoke', node: deviceId });

    const done = await invoke(owner, 'fs.stat', { path: 'hello.txt' });
    const dispatchId = done.messages.find((m) => m.result)?.result?.dispatchId ?? '';
    expect(dispatchId).not.toBe('');

    // The matching token sees the node, the dispatch and its events.
    expect((await matching.unary<{ nodes: { deviceId: string }[] }>('ListNodes')).nodes.map((n) => n.deviceId)).toEqual([deviceId]);
    expect(await matching.unary('GetDispatch', { dispatchId })).toMatchObject({ dispatchId, deviceId });
    const seen = async (stream: RemoteStream<{ eventJson: string }>): Promise<boolean> =>
      stream.messages.some((m) => (JSON.parse(m.eventJson) as { dispatchId?: string; state?: string }).dispatchId === dispatchId);
    while (!(await seen(matchingEvents))) await matchingEvents.received(matchingEvents.messages.length + 1);

    // The other token: nothing, answered as if it did not exist.
    expect((await outside.unary<{ nodes: unknown[] }>('ListNodes')).nodes).toEqual([]);
    expect((await outside.unary<{ dispatches: unknown[] }>('ListDispatches', {})).dispatches).toEqual([]);
    const unknown = await failure(outside.unary('GetDispatch', { dispatchId: '01J00000000000000000000000' }));
    const hidden = await failure(outside.unary('GetDispatch', { dispatchId }));
    expect(hidden.code).toBe('PALYRA_E_DISPATCH_NOT_FOUND');
    expect(hidden.message).toBe(unknown.message.replace('01J00000000000000000000000', dispatchId));
    expect((await failure(outside.unary('CancelDispatch', { dispatchId }))).code).toBe('PALYRA_E_DISPATCH_NOT_FOUND');
    const watch = outside.serverStream('WatchDispatch', { dispatchId });
    expect((await watch.ended)?.code).toBe('PALYRA_E_DISPATCH_NOT_FOUND');
    const approvals = outside.serverStream<{ snapshot?: { nodes: unknown[] } }>('WatchApprovals', {});
    const [snapshot] = await approvals.received(1);
    expect(snapshot?.snapshot?.nodes).toEqual([]);
    approvals.cancel();
    // Its event stream: everything published before the revocation arrived before the stream
    // ended (one ordered HTTP/2 stream), and none of it is about the node.
    await running().json('tokens', 'revoke', outsideId);
    expect((await outsideEvents.ended)?.code).toBe('PALYRA_E_UNAUTHENTICATED');
    expect(outsideEvents.messages.filter((m) => (JSON.parse(m.eventJson) as { deviceId?: string }).deviceId === deviceId)).toEqual([]);
    matchingEvents.cancel();
  });
});
