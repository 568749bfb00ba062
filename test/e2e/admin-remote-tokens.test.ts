/**
 * API tokens on the remote admin endpoint, with real daemons: malformed, unknown, foreign
 * (minted by another daemon), wrong-secret, expired and revoked tokens; revocation ending an
 * open StreamEvents stream; the per-token rate limit; the no-escalation rule of CreateToken;
 * the per-address throttle of failed authentication; and no secret in the daemon's log.
 */
import * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteAdminClient, type RemoteAdmin, type RemoteError } from '../helpers/adminRemote.js';
import { DaemonProcess } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, pollUntil, stopProcesses, TempDirs } from '../helpers/processes.js';

interface TokenJson {
  token: string;
  id: string;
  name: string;
  role: string;
  permissions: string[];
  scopes: string[];
  nodes: string;
  ratePerSecond: number;
  burst: number;
  expiresAt: string | null;
  revokedAt: string | null;
}

const dirs = new TempDirs();
let daemon: DaemonProcess | undefined;
/** Another daemon: mints the foreign token, and takes the failed-authentication throttle test. */
let other: DaemonProcess | undefined;
const clients: RemoteAdmin[] = [];
/** Every token (and made-up secret) the tests presented: none may reach a log. */
const presented: string[] = [];

function main(): DaemonProcess {
  if (daemon === undefined) throw new Error('the daemon did not start');
  return daemon;
}

function adminTls(d: DaemonProcess): string {
  const address = (d.ready as { adminTls?: string }).adminTls;
  if (address === undefined) throw new Error('the ready line has no adminTls');
  return address;
}

async function mint(d: DaemonProcess, ...args: string[]): Promise<TokenJson> {
  const created = await d.json<TokenJson>('tokens', 'create', ...args);
  presented.push(created.token);
  return created;
}

async function connect(d: DaemonProcess, token: string | null, options: { authorization?: string } = {}): Promise<RemoteAdmin> {
  const client = await remoteAdminClient(adminTls(d), d.stateDir, token, options);
  clients.push(client);
  return client;
}

async function failure(promise: Promise<unknown>): Promise<RemoteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as RemoteError,
  );
  if (error === undefined) throw new Error('the call succeeded');
  return error;
}

/** The secret part of a token: its last 43 characters (base64url may itself contain `_`). */
const secretOf = (token: string): string => token.slice(-43);

beforeAll(async () => {
  const base = await dirs.make('palyra-e2e-admin-tokens-');
  [daemon, other] = await Promise.all([
    DaemonProcess.start(join(base, 'daemon'), ['--admin-listen', '127.0.0.1:0', '--quic-listen', 'off']),
    DaemonProcess.start(join(base, 'other'), ['--admin-listen', '127.0.0.1:0', '--quic-listen', 'off']),
  ]);
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  for (const client of clients) client.close();
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('API tokens on the remote admin endpoint', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('a token authenticates as itself; it is printed once and never listed with its secret', async () => {
    const created = await mint(main(), '--name', 'ci', '--role', 'operator', '--ttl', '30d', '--scope', 'fs.read,fs.list', '--json');
    expect(created.token).toMatch(/^pyt_[0-9A-HJKMNP-TV-Z]{26}_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ name: 'ci', role: 'operator', scopes: ['fs.read', 'fs.list'], ratePerSecond: 50, burst: 100, revokedAt: null });
    const who = await (await connect(main(), created.token)).unary<Record<string, unknown>>('WhoAmI');
    expect(who).toMatchObject({ kind: 'token', tokenId: created.id, tokenName: 'ci', role: 'operator', scopes: ['fs.read', 'fs.list'] });
    expect(String(who.remoteAddress)).toMatch(/^127\.0\.0\.1:\d+$/);
    const listed = await main().cli('tokens', 'list', '--json');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(created.id);
    expect(listed.stdout).not.toContain(secretOf(created.token));
    expect(listed.stdout).not.toMatch(/sha256/i);
    // Without --json: the token alone on stdout, the notice on stderr.
    const plain = await main().cli('tokens', 'create', '--name', 'plain', '--role', 'viewer');
    presented.push(plain.stdout.trim());
    expect(plain.stdout.trim()).toMatch(/^pyt_\S+$/);
    expect(plain.stderr).toMatch(/will not be shown again/);
  });

  it('missing, malformed, unknown, foreign and wrong-secret tokens are UNAUTHENTICATED; the last three with one message', async () => {
    const real = await mint(main(), '--name', 'real', '--role', 'viewer', '--json');
    const foreign = await mint(other as DaemonProcess, '--name', 'foreign', '--role', 'owner', '--json');
    const wrongSecret = `${real.token.slice(0, -43)}${'A'.repeat(42)}E`;
    const unknownId = `pyt_01J00000000000000000000000_${secretOf(real.token)}`;
    presented.push(wrongSecret, unknownId);

    const missing = await failure((await connect(main(), null)).unary('WhoAmI'));
    expect(missing.code).toBe('PALYRA_E_UNAUTHENTICATED');
    expect(missing.grpcCode).toBe(grpc.status.UNAUTHENTICATED);
    expect(missing.message).toMatch(/authorization: Bearer/);

    const garbage = `pyt_not-a-token-${secretOf(real.token)}`;
    presented.push(garbage);
    for (const authorization of [`Bearer ${garbage}`, `Basic ${real.token}`]) {
      const error = await failure((await connect(main(), null, { authorization })).unary('WhoAmI'));
      expect(error.code, authorization).toBe('PALYRA_E_UNAUTHENTICATED');
      expect(error.message).not.toContain(secretOf(real.token));
    }

    const answers = await Promise.all(
      [unknownId, foreign.token, wrongSecret].map(async (token) => failure((await connect(main(), token)).unary('WhoAmI'))),
    );
    for (const error of answers) {
      expect(error.code, error.message).toBe('PALYRA_E_UNAUTHENTICATED');
      expect(error.grpcCode).toBe(grpc.status.UNAUTHENTICATED);
    }
    // A guess learns nothing about which ids exist.
    expect(new Set(answers.map((e) => e.message)), answers.map((e) => e.message).join(' | ')).toHaveProperty('size', 1);
    // The foreign token works where it was minted.
    expect(await (await connect(other as DaemonProcess, foreign.token)).unary('WhoAmI')).toMatchObject({ tokenId: foreign.id });
  });

  it('an expired token is refused once its ttl passed', async () => {
    const short = await mint(main(), '--name', 'short', '--role', 'viewer', '--ttl', '2s', '--json');
    const client = await connect(main(), short.token);
    expect(await client.unary('WhoAmI')).toMatchObject({ tokenId: short.id });
    const error = await pollUntil(
      async () => {
        try {
          await client.unary('WhoAmI');
          return undefined;
        } catch (e) {
          return e as RemoteError;
        }
      },
      { what: 'the token to expire', intervalMs: 500 },
    );
    expect(error.code).toBe('PALYRA_E_UNAUTHENTICATED');
    expect(error.message).toMatch(/expired/);
  });

  it('revocation takes effect at once: the next call is refused and an open StreamEvents stream ends', async () => {
    const token = await mint(main(), '--name', 'watcher', '--role', 'operator', '--json');
    const client = await connect(main(), token.token);
    const stream = client.serverStream('StreamEvents', {});
    await stream.admitted;
    const revoked = await main().json<TokenJson>('tokens', 'revoke', token.id);
    expect(revoked.revokedAt).not.toBeNull();
    const ended = await stream.ended;
    expect(ended?.code).toBe('PALYRA_E_UNAUTHENTICATED');
    expect(ended?.grpcCode).toBe(grpc.status.UNAUTHENTICATED);
    expect(ended?.message).toMatch(/revoked/);
    const next = await failure(client.unary('WhoAmI'));
    expect(next.code).toBe('PALYRA_E_UNAUTHENTICATED');
    expect(next.message).toMatch(/revoked/);
    // Listed only with --all; revoking again changes nothing.
    expect((await main().json<TokenJson[]>('tokens', 'list')).map((t) => t.id)).not.toContain(token.id);
    expect((await main().json<TokenJson[]>('tokens', 'list', '--all')).find((t) => t.id === token.id)?.revokedAt).toBe(revoked.revokedAt);
    expect((await main().json<TokenJson>('tokens', 'revoke', token.id)).revokedAt).toBe(revoked.revokedAt);
    const unknown = await main().cli('tokens', 'revoke', '01J00000000000000000000000');
    expect(unknown.code).toBe(68);
    expect(unknown.stderr).toMatch(/PALYRA_E_TOKEN_NOT_FOUND/);
  });

  it('a token over its rate gets RESOURCE_EXHAUSTED with PALYRA_E_RATE_LIMITED and when to retry', async () => {
    const slow = await mint(main(), '--name', 'slow', '--role', 'viewer', '--rate', '1/m', '--json');
    expect(slow).toMatchObject({ burst: 1 });
    const client = await connect(main(), slow.token);
    await client.unary('WhoAmI');
    const error = await failure(client.unary('GetStatus'));
    expect(error.code).toBe('PALYRA_E_RATE_LIMITED');
    expect(error.grpcCode).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(Number(error.details?.retryAfterMs)).toBeGreaterThan(1000);
    expect(error.message).toMatch(/retry in \d/);
  });

  it('a token never mints a token with more rights than its own', async () => {
    const parent = await mint(main(), '--name', 'parent', '--role', 'owner', '--ttl', '1h', '--scope', 'fs.*', '--nodes', 'name=web', '--rate', '10/s', '--json');
    const client = await connect(main(), parent.token);
    const refused: [object, string][] = [
      [{ name: 'x', role: 'operator', scopes: ['shell.exec'] }, 'scopes'],
      [{ name: 'x', role: 'operator', scopes: ['fs.read'], ttlSeconds: 7200 }, 'ttl'],
      [{ name: 'x', role: 'operator', scopes: ['fs.read'], neverExpires: true }, 'ttl'],
      [{ name: 'x', role: 'operator', scopes: ['fs.read'], ratePerSecond: 20 }, 'rate'],
      [{ name: 'x', role: 'operator', scopes: ['fs.read'], nodes: 'name=db' }, 'nodes'],
    ];
    for (const [request, reason] of refused) {
      const error = await failure(client.unary('CreateToken', request));
      expect(error.code, JSON.stringify(request)).toBe('PALYRA_E_FORBIDDEN');
      expect(error.grpcCode).toBe(grpc.status.PERMISSION_DENIED);
      expect(error.details).toMatchObject({ permission: 'tokens.create', reason });
    }
    // Within its rights: scopes inside fs.*, its selector and expiry kept, its rate at most.
    const child = await client.unary<{ token: string; info: TokenJson }>('CreateToken', { name: 'child', role: 'operator', scopes: ['fs.read'] });
    presented.push(child.token);
    expect(child.info).toMatchObject({ role: 'operator', scopes: ['fs.read'], nodes: 'name=web', ratePerSecond: 10 });
    expect(Date.parse(child.info.expiresAt ?? '')).toBeLessThanOrEqual(Date.parse(parent.expiresAt ?? ''));
    expect((await main().json<TokenJson[]>('tokens', 'list')).find((t) => t.id === child.info.id)).toMatchObject({ name: 'child' });

    // Permissions: a token narrowed to tokens.create and status.read mints only within those.
    const narrow = await mint(main(), '--name', 'narrow', '--role', 'owner', '--permission', 'tokens.create', '--permission', 'status.read', '--json');
    const narrowClient = await connect(main(), narrow.token);
    const error = await failure(narrowClient.unary('CreateToken', { name: 'y', role: 'viewer' }));
    expect(error.details).toMatchObject({ permission: 'tokens.create', reason: 'permissions' });
    expect(error.message).toMatch(/nodes\.read/);
    const ok = await narrowClient.unary<{ token: string; info: TokenJson }>('CreateToken', { name: 'y', role: 'viewer', permissions: ['status.read'] });
    presented.push(ok.token);
    expect(ok.info.permissions).toEqual(['status.read']);
  });

  it('failed authentication is throttled per address (PALYRA_E_RATE_LIMITED, then even a valid token waits)', async () => {
    const d = other as DaemonProcess;
    const valid = await mint(d, '--name', 'valid', '--role', 'viewer', '--json');
    const good = await connect(d, valid.token);
    await good.unary('WhoAmI');
    const bad = await connect(d, `${valid.token.slice(0, -43)}${'B'.repeat(42)}A`);
    presented.push(`${valid.token.slice(0, -43)}${'B'.repeat(42)}A`);
    let attempts = 0;
    let limited: RemoteError | undefined;
    while (limited === undefined && attempts < 20) {
      attempts += 1;
      const error = await failure(bad.unary('WhoAmI'));
      if (error.code === 'PALYRA_E_RATE_LIMITED') limited = error;
      else expect(error.code).toBe('PALYRA_E_UNAUTHENTICATED');
    }
    expect(limited, 'the address must be throttled').toBeDefined();
    // 10 failures at once (the burst), give or take what refilled meanwhile.
    expect(attempts).toBeGreaterThanOrEqual(11);
    expect(attempts).toBeLessThanOrEqual(13);
    expect(limited?.grpcCode).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(Number(limited?.details?.retryAfterMs)).toBeGreaterThan(0);
    const blocked = await failure(good.unary('WhoAmI'));
    expect(blocked.code).toBe('PALYRA_E_RATE_LIMITED');
  });

  it("the daemon's log names failed authentications (address, token id) and never a presented secret", async () => {
    for (const d of [main(), other as DaemonProcess]) {
      const log = d.process.stdout + d.process.stderr;
      expect(log).toMatch(/authentication failed on the admin endpoint/);
      for (const token of presented) expect(log).not.toContain(secretOf(token));
    }
    expect(presented.length).toBeGreaterThan(10);
  });
});
