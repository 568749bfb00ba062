import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { localOwner } from '../../src/access/callActor.js';
import { hostOf, TokenService } from '../../src/access/TokenService.js';
import { scopeCovers, scopesAllow } from '../../src/access/scopes.js';
import { openStore, type SqlStore } from '../../src/store/index.js';
import { capturedLogger } from '../../../test/helpers/capturedLogger.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function store(): Promise<{ store: SqlStore; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'palyra-tokens-'));
  const opened = await openStore({ stateDir: dir });
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  cleanup.push(() => opened.close());
  return { store: opened, dir };
}

function expectError(fn: () => unknown, code: string): PalyraError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PalyraError);
    expect((error as PalyraError).code, (error as PalyraError).message).toBe(code);
    return error as PalyraError;
  }
  throw new Error(`expected ${code}`);
}

describe('TokenService', () => {
  it('loads the table at start: a token minted before a restart authenticates, a revoked one does not', async () => {
    const { store: s, dir } = await store();
    const first = await TokenService.open({ repository: s.tokens });
    const kept = await first.create(localOwner(), { name: 'kept', role: 'viewer' });
    const gone = await first.create(localOwner(), { name: 'gone', role: 'viewer' });
    await first.revoke(gone.record.id);
    first.close();
    await s.close();
    const again = await openStore({ stateDir: dir });
    cleanup.push(() => again.close());
    const second = await TokenService.open({ repository: again.tokens });
    cleanup.push(async () => second.close());
    expect(second.authenticate(`Bearer ${kept.token}`, '10.0.0.1:5000')).toMatchObject({ tokenId: kept.record.id, role: 'viewer' });
    expect(expectError(() => second.authenticate(`Bearer ${gone.token}`, '10.0.0.1:5000'), 'PALYRA_E_UNAUTHENTICATED').message).toMatch(/revoked/);
    expect(second.list().map((t) => t.id)).toEqual([kept.record.id]);
    expect(second.list({ includeRevoked: true })).toHaveLength(2);
  });

  it('counts only live tokens against the cap: revoked and expired ones never lock out token creation', async () => {
    const { store: s } = await store();
    let now = Date.parse('2026-06-01T00:00:00.000Z');
    const tokens = await TokenService.open({ repository: s.tokens, now: () => new Date(now), maxTokens: 2 });
    cleanup.push(async () => tokens.close());
    const a = await tokens.create(localOwner(), { name: 'a', role: 'viewer' });
    await tokens.create(localOwner(), { name: 'b', role: 'viewer', ttlMs: 60_000 });
    await expect(tokens.create(localOwner(), { name: 'c', role: 'viewer' })).rejects.toMatchObject({ code: 'PALYRA_E_LIMIT_EXCEEDED' });
    // One revoked, one expired: no live token left, so creating works again; the table being
    // full, the ended ones make room at once (the audit log keeps their history).
    await tokens.revoke(a.record.id);
    now += 120_000;
    await tokens.create(localOwner(), { name: 'c', role: 'viewer' });
    expect(tokens.list({ includeRevoked: true }).map((t) => t.name)).toEqual(['c']);
    expect((await s.tokens.all()).map((t) => t.name)).toEqual(['c']);
  });

  it('keeps revoked and expired tokens listed for 30 days, then deletes them from the store too', async () => {
    const { store: s, dir } = await store();
    let now = Date.parse('2026-06-01T00:00:00.000Z');
    const tokens = await TokenService.open({ repository: s.tokens, now: () => new Date(now) });
    const revoked = await tokens.create(localOwner(), { name: 'revoked', role: 'viewer' });
    await tokens.create(localOwner(), { name: 'expired', role: 'viewer', ttlMs: 60_000 });
    await tokens.create(localOwner(), { name: 'live', role: 'viewer' });
    await tokens.revoke(revoked.record.id);
    now += 29 * 86_400_000;
    await tokens.create(localOwner(), { name: 'later', role: 'viewer' });
    expect(tokens.list({ includeRevoked: true }).map((t) => t.name).sort()).toEqual(['expired', 'later', 'live', 'revoked']);
    tokens.close();
    await s.close();
    // Past 30 days: gone at the next start, from memory and from the store.
    now += 2 * 86_400_000;
    const again = await openStore({ stateDir: dir });
    cleanup.push(() => again.close());
    const reopened = await TokenService.open({ repository: again.tokens, now: () => new Date(now) });
    cleanup.push(async () => reopened.close());
    expect(reopened.list({ includeRevoked: true }).map((t) => t.name).sort()).toEqual(['later', 'live']);
    expect((await again.tokens.all()).map((t) => t.name).sort()).toEqual(['later', 'live']);
  });

  it('writes last_used_at at most once a minute per token', async () => {
    const { store: s } = await store();
    let now = Date.parse('2026-06-01T00:00:00.000Z');
    const tokens = await TokenService.open({ repository: s.tokens, now: () => new Date(now) });
    cleanup.push(async () => tokens.close());
    const { token, record } = await tokens.create(localOwner(), { name: 't', role: 'viewer' });
    const lastUsed = async (): Promise<string | null | undefined> => {
      // The write is not awaited by authenticate: read after the store's queue drained.
      await s.tokens.all();
      return (await s.tokens.get(record.id))?.lastUsedAt;
    };
    tokens.authenticate(`Bearer ${token}`, '10.0.0.1:1');
    expect(await lastUsed()).toBe('2026-06-01T00:00:00.000Z');
    now += 30_000;
    tokens.authenticate(`Bearer ${token}`, '10.0.0.1:1');
    expect(await lastUsed()).toBe('2026-06-01T00:00:00.000Z');
    now += 31_000;
    tokens.authenticate(`Bearer ${token}`, '10.0.0.1:1');
    expect(await lastUsed()).toBe('2026-06-01T00:01:01.000Z');
  });

  it('revocation and expiry abort the token actor signal (open streams end with it)', async () => {
    const { store: s } = await store();
    const tokens = await TokenService.open({ repository: s.tokens });
    cleanup.push(async () => tokens.close());
    const a = await tokens.create(localOwner(), { name: 'a', role: 'operator' });
    const actor = tokens.authenticate(`Bearer ${a.token}`, '[::1]:4000');
    expect(actor.remoteAddress).toBe('[::1]:4000');
    expect(actor.signal.aborted).toBe(false);
    await tokens.revoke(a.record.id);
    expect(actor.signal.aborted).toBe(true);
    expect((actor.signal.reason as PalyraError).code).toBe('PALYRA_E_UNAUTHENTICATED');

    const b = await tokens.create(localOwner(), { name: 'b', role: 'operator', ttlMs: 1000 });
    const short = tokens.authenticate(`Bearer ${b.token}`, '127.0.0.1:1');
    await new Promise<void>((resolve) => short.signal.addEventListener('abort', () => resolve()));
    expect(String((short.signal.reason as PalyraError).message)).toMatch(/expired/);
  });

  it('refuses bad input with PALYRA_E_INVALID_ARGUMENT and logs failures without the secret', async () => {
    const { store: s } = await store();
    const log = capturedLogger();
    const tokens = await TokenService.open({ repository: s.tokens, logger: log.logger });
    cleanup.push(async () => tokens.close());
    for (const input of [
      { name: '', role: 'viewer' },
      { name: 'x', role: 'root' },
      { name: 'x', role: 'viewer', permissions: ['dispatch.invoke'] },
      { name: 'x', role: 'viewer', scopes: ['fs.'] },
      { name: 'x', role: 'viewer', scopes: ['*'] },
      { name: 'x', role: 'viewer', ratePerSecond: 0 },
      { name: 'x', role: 'viewer', ttlMs: 10, neverExpires: false },
    ]) {
      await expect(tokens.create(localOwner(), input), JSON.stringify(input)).rejects.toMatchObject({ code: 'PALYRA_E_INVALID_ARGUMENT' });
    }
    // A node selector that does not parse has its own code (issue 17), pointing at the column.
    await expect(tokens.create(localOwner(), { name: 'x', role: 'viewer', nodes: 'env=,,' })).rejects.toMatchObject({ code: 'PALYRA_E_SELECTOR_INVALID', details: { column: 6 } });
    const { token } = await tokens.create(localOwner(), { name: 'x', role: 'viewer', neverExpires: true });
    const wrong = `${token.slice(0, -43)}${'Q'.repeat(42)}A`;
    expectError(() => tokens.authenticate(`Bearer ${wrong}`, '10.9.9.9:1'), 'PALYRA_E_UNAUTHENTICATED');
    const text = JSON.stringify(log.lines());
    expect(text).toMatch(/authentication failed/);
    expect(text).toContain('10.9.9.9');
    expect(text).not.toContain(wrong.slice(-43));
    expect(text).not.toContain(token.slice(-43));
  });

  it('scope patterns: exact or trailing .*; covering for the no-escalation rule; addresses without ports', () => {
    expect(scopesAllow([], 'shell.exec')).toBe(true);
    expect(scopesAllow(['fs.*'], 'fs.read')).toBe(true);
    expect(scopesAllow(['fs.*'], 'fs')).toBe(false);
    expect(scopesAllow(['fs.*'], 'fsx.read')).toBe(false);
    expect(scopesAllow(['fs.read'], 'fs.readlink')).toBe(false);
    expect(scopeCovers('fs.*', 'fs.dir.*')).toBe(true);
    expect(scopeCovers('fs.read', 'fs.*')).toBe(false);
    expect(scopeCovers('fs.*', 'fs.read')).toBe(true);
    expect(hostOf('127.0.0.1:5000')).toBe('127.0.0.1');
    expect(hostOf('[::1]:5000')).toBe('::1');
    // grpc-js's getPeer() leaves IPv6 unbracketed: the port must not become part of the address.
    expect(hostOf('::1:5000')).toBe('::1');
    expect(hostOf('::ffff:10.0.0.1:5000')).toBe('::ffff:10.0.0.1');
    expect(hostOf('unix')).toBe('unix');
  });
});
