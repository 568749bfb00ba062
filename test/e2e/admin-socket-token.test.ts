/**
 * The admin socket with an API token (issue 18: the daemon's HTTP API calls its own socket as
 * the token of its client): a call presenting `authorization: Bearer` acts as exactly that
 * token, never as the socket's owner, and is audited as the token with the forwarded address of
 * the HTTP peer (`x-palyra-remote-address`). A real daemon, the real ControlClient, unary and
 * streaming calls.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import { DaemonProcess } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();
let daemon: DaemonProcess | undefined;
const clients: ControlClient[] = [];
const PEER = '203.0.113.7:40001';

function running(): DaemonProcess {
  if (daemon === undefined) throw new Error('the daemon did not start');
  return daemon;
}

async function asToken(token: string, remoteAddress?: string): Promise<ControlClient> {
  const client = await ControlClient.connect(running().stateDir, { as: { token, ...(remoteAddress === undefined ? {} : { remoteAddress }) } });
  clients.push(client);
  return client;
}

async function mint(name: string, role: string): Promise<{ token: string; id: string }> {
  return running().json<{ token: string; id: string }>('tokens', 'create', '--name', name, '--role', role, '--ttl', '1h');
}

async function failure(promise: Promise<unknown>): Promise<{ code?: string; details?: Record<string, unknown> }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { code?: string; details?: Record<string, unknown> },
  );
  if (error === undefined) throw new Error('the call succeeded');
  return error;
}

beforeAll(async () => {
  daemon = await DaemonProcess.start(join(await dirs.make('palyra-e2e-socket-token-'), 'daemon'));
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  for (const client of clients) client.close();
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('admin socket: calls presenting an API token', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('act as the token (its role, its peer address), are refused what the role lacks, and are audited as the token', async () => {
    const viewer = await mint('socket-viewer', 'viewer');
    const client = await asToken(viewer.token, PEER);
    expect(await client.whoAmI()).toMatchObject({ kind: 'token', tokenId: viewer.id, tokenName: 'socket-viewer', role: 'viewer', remoteAddress: PEER });
    // A viewer reads nodes but may not mint tokens, though the socket's owner could.
    expect(await client.listNodes()).toEqual([]);
    const refused = await failure(client.createToken({ name: 'escalated', role: 'owner' } as never));
    expect(refused.code).toBe('PALYRA_E_FORBIDDEN');
    expect(refused.details).toMatchObject({ permission: 'tokens.create' });

    const owner = await ControlClient.connect(running().stateDir);
    clients.push(owner);
    expect(await owner.whoAmI()).toMatchObject({ kind: 'local', role: 'owner' });
    const { entries } = await owner.listAudit({ action: 'auth.denied' });
    expect(entries).toContainEqual(
      expect.objectContaining({ action: 'auth.denied', actor: expect.objectContaining({ kind: 'token', tokenId: viewer.id }), remoteAddress: PEER, outcome: 'refused' }),
    );
  });

  it('a streaming call (StreamEvents) is admitted as the token and ends when the token is revoked', async () => {
    const viewer = await mint('socket-stream', 'viewer');
    const client = await asToken(viewer.token, PEER);
    const controller = new AbortController();
    const events = client.streamEvents({ signal: controller.signal });
    const ended = (async () => {
      try {
        for await (const event of events) void event;
        return 'ended';
      } catch (error) {
        return (error as { code?: string }).code ?? 'error';
      }
    })();
    // The stream is open once the daemon counted it: revoke, and the daemon ends it.
    await expect.poll(async () => (await client.whoAmI()).tokenId).toBe(viewer.id);
    await running().json('tokens', 'revoke', viewer.id);
    expect(await ended).toBe('PALYRA_E_UNAUTHENTICATED');
    controller.abort();
    expect((await failure(client.whoAmI())).code).toBe('PALYRA_E_UNAUTHENTICATED');
  });

  it('a wrong token is refused, never served as the owner; a malformed forwarded address is not recorded', async () => {
    const viewer = await mint('socket-forged', 'viewer');
    const wrong = `${viewer.token.slice(0, -43)}${'B'.repeat(42)}A`;
    expect((await failure((await asToken(wrong, PEER)).whoAmI())).code).toBe('PALYRA_E_UNAUTHENTICATED');
    const forged = await asToken(viewer.token, '1.2.3.4:5\n{"forged":true}');
    expect(await forged.whoAmI()).toMatchObject({ kind: 'token', remoteAddress: 'unix' });
  });
});
