import { PalyraError } from '@palyra/shared/errors';
import type { Logger } from '@palyra/shared/logging';
import { RateLimitedLog } from '@palyra/shared/logging';
import { normalizeSelector, parseSelector } from '@palyra/shared/selectors';
import { mintToken, parseToken, tokenIdOf, tokenSecretMatches } from '@palyra/shared/tokens';
import { TokenBuckets } from '../limits/TokenBuckets.js';
import { addressKey, peerAddress } from '../rpc/PeerLimiter.js';
import type { TokenRecord, TokenRepository } from '../store/types.js';
import { actorRef, type Actor, type TokenActor } from './Actor.js';
import { isPermission, isRole, ROLE_PERMISSIONS, ROLES, type Permission, type Role } from './permissions.js';
import { assertScopes, scopeCovers } from './scopes.js';

/** Defaults of a token's rate limit (`--rate`): 50 calls a second, bursts of 100. */
export const DEFAULT_TOKEN_RATE_PER_SECOND = 50;
export const DEFAULT_TOKEN_BURST = 100;
export const MAX_TOKEN_RATE_PER_SECOND = 100_000;
/** Default lifetime of a token: 90 days. */
export const DEFAULT_TOKEN_TTL_MS = 90 * 86_400_000;
/** The longest finite lifetime: 10 years (`--ttl never` is the way to ask for none). */
export const MAX_TOKEN_TTL_MS = 3650 * 86_400_000;
/** A token's last use is written at most this often (the store is not written per call). */
const LAST_USED_EVERY_MS = 60_000;
/** Failed authentications one remote address may make: 10 at once, then one per 6 s (10 a minute). */
export const DEFAULT_FAILED_AUTH_LIMIT = { burst: 10, refillMs: 6_000 };
/**
 * Streams (Invoke, InvokeMany, WatchDispatch, StreamEvents, WatchApprovals) one token may hold
 * open at once, over all its connections. Each may buffer megabytes of answers its caller has
 * not read; without this a token's streams were bounded only by the endpoint's connection caps
 * (256 connections of 64 calls). Many invocations at once go on one InvokeMany stream.
 */
export const MAX_STREAMS_PER_TOKEN = 32;
/** Live tokens (neither revoked nor expired) at once: bounds the table a token holder can grow. */
export const MAX_TOKENS = 10_000;
/**
 * How long a revoked or expired token stays in the table (`tokens list --all`) before it is
 * deleted. Counting ended tokens against MAX_TOKENS forever would, after 10,000 tokens ever
 * minted, refuse every new one, the local owner's included. The audit log keeps their history.
 */
export const ENDED_TOKEN_RETENTION_MS = 30 * 86_400_000;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/;
/** setTimeout's longest delay; longer expiries re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The same message for an unknown id and a wrong secret: a guess learns nothing about which. */
const INVALID_TOKEN = 'the API token is not valid: no token has this id and secret';

export interface CreateTokenInput {
  name: string;
  role: string;
  /** Lifetime; undefined: DEFAULT_TOKEN_TTL_MS (or the creator's remaining lifetime, when shorter). */
  ttlMs?: number;
  /** No expiry at all (`--ttl never`). */
  neverExpires?: boolean;
  scopes?: readonly string[];
  permissions?: readonly string[];
  nodes?: string;
  /** Undefined: the default rate (or the creator's, when lower). */
  ratePerSecond?: number;
  /** Undefined: twice the rate (at most the creator's burst). */
  burst?: number;
}

export interface TokenServiceOptions {
  repository: TokenRepository;
  logger?: Logger;
  now?: () => Date;
  failedAuthLimit?: { burst: number; refillMs: number };
  /** Live tokens at once (default MAX_TOKENS). */
  maxTokens?: number;
}

interface Held {
  record: TokenRecord;
  /** Aborted on revocation or expiry: every live call of the token ends with it. */
  controller: AbortController;
  timer?: NodeJS.Timeout;
  buckets: TokenBuckets;
  lastTouchedMs: number;
  /** Streams of this token open now (MAX_STREAMS_PER_TOKEN). */
  streams: number;
}

/**
 * API tokens: minting (with the no-escalation rule), listing, revocation and authentication.
 * The table is loaded once at start and kept in memory: authentication never waits for the
 * store. Only SHA-256 of a secret is kept; the secret is shown once, by `create`.
 */
export class TokenService {
  private readonly held = new Map<string, Held>();
  private readonly failures: TokenBuckets;
  private readonly log: RateLimitedLog | undefined;
  private readonly now: () => Date;
  private closed = false;

  private constructor(private readonly options: TokenServiceOptions) {
    const limit = options.failedAuthLimit ?? DEFAULT_FAILED_AUTH_LIMIT;
    this.failures = new TokenBuckets(limit.burst, limit.refillMs);
    this.log = options.logger === undefined ? undefined : new RateLimitedLog({ logger: options.logger });
    this.now = options.now ?? (() => new Date());
  }

  static async open(options: TokenServiceOptions): Promise<TokenService> {
    const service = new TokenService(options);
    for (const record of await options.repository.all()) service.hold(record);
    await service.deleteEnded(service.now().getTime() - ENDED_TOKEN_RETENTION_MS);
    return service;
  }

  close(): void {
    this.closed = true;
    for (const held of this.held.values()) clearTimeout(held.timer);
    this.log?.stop();
  }

  /** Every token (revoked ones only with includeRevoked), oldest first; never a secret. */
  list({ includeRevoked = false }: { includeRevoked?: boolean } = {}): TokenRecord[] {
    return [...this.held.values()].map((h) => h.record).filter((r) => includeRevoked || r.revokedAt === null);
  }

  /**
   * Mints a token for `creator`. A token never mints one with more rights than its own: role
   * at most its own, permissions a subset, every scope covered by one of its own, its node
   * selector kept, expiry no later and rate no higher. PALYRA_E_FORBIDDEN (permission
   * tokens.create) names what would have been exceeded.
   */
  async create(creator: Actor, input: CreateTokenInput): Promise<{ token: string; record: TokenRecord }> {
    const name = input.name.trim();
    if (!NAME_PATTERN.test(name)) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'a token name is 1-64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit');
    }
    if (!isRole(input.role)) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `role "${input.role.slice(0, 64)}" is unknown: use ${ROLES.join(', ')}`);
    const role: Role = input.role;
    const permissions = [...new Set(input.permissions ?? [])];
    for (const permission of permissions) {
      if (!isPermission(permission)) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `permission "${permission.slice(0, 64)}" is unknown (docs/security.md lists them)`);
      if (!ROLE_PERMISSIONS[role].has(permission)) {
        throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `permission ${permission} is not part of role ${role}: --permission only narrows the role`);
      }
    }
    let scopes = [...new Set(input.scopes ?? [])];
    assertScopes(scopes);
    let nodes = normalizeSelector(input.nodes ?? '');
    assertTokenSelector(nodes);
    const nowMs = this.now().getTime();
    if (input.neverExpires === true && input.ttlMs !== undefined) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'a token either expires after a ttl or never, not both');
    if (input.ttlMs !== undefined && (!Number.isFinite(input.ttlMs) || input.ttlMs < 1000 || input.ttlMs > MAX_TOKEN_TTL_MS)) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `a token's ttl is from 1s to 3650d (or never)`);
    }
    if (input.ratePerSecond !== undefined && !(input.ratePerSecond > 0 && input.ratePerSecond <= MAX_TOKEN_RATE_PER_SECOND)) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `a token's rate is above 0 and at most ${MAX_TOKEN_RATE_PER_SECOND} calls a second`);
    }
    if (input.burst !== undefined && !(Number.isInteger(input.burst) && input.burst >= 1 && input.burst <= 10 * MAX_TOKEN_RATE_PER_SECOND)) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `a token's burst is a whole number from 1 to ${10 * MAX_TOKEN_RATE_PER_SECOND}`);
    }
    let expiresAtMs: number | null = input.neverExpires === true ? null : nowMs + (input.ttlMs ?? DEFAULT_TOKEN_TTL_MS);
    let ratePerSecond = input.ratePerSecond ?? DEFAULT_TOKEN_RATE_PER_SECOND;
    let burst = input.burst ?? Math.max(1, Math.ceil(ratePerSecond * 2));

    if (creator.kind === 'token') {
      const parent = this.held.get(creator.tokenId)?.record;
      const refuse = (what: string, reason: string): never => {
        throw new PalyraError('PALYRA_E_FORBIDDEN', `token ${creator.tokenId} (${creator.tokenName}) may not mint a token with more rights than its own: ${what}`, {
          details: { permission: 'tokens.create', reason },
        });
      };
      if (parent === undefined) refuse('it is no longer valid', 'creator');
      const parentRecord = parent as TokenRecord;
      if (ROLES.indexOf(role) < ROLES.indexOf(creator.role)) refuse(`role ${role} is above its own role ${creator.role}`, 'role');
      const effective = permissions.length === 0 ? [...ROLE_PERMISSIONS[role]] : permissions;
      const extra = effective.filter((p) => !creator.permissions.has(p as Permission));
      if (extra.length > 0) refuse(`it lacks the permission${extra.length > 1 ? 's' : ''} ${extra.join(', ')}`, 'permissions');
      if (creator.scopes.length > 0) {
        // Asking for every capability under a scoped creator means its scopes.
        if (scopes.length === 0) scopes = [...creator.scopes];
        const uncovered = scopes.filter((s) => !creator.scopes.some((own) => scopeCovers(own, s)));
        if (uncovered.length > 0) refuse(`scope ${uncovered.join(', ')} is outside its scopes ${creator.scopes.join(', ')}`, 'scopes');
      }
      if (creator.nodes !== '') {
        if (nodes === '') nodes = creator.nodes;
        if (nodes !== normalizeSelector(creator.nodes)) refuse(`the node selector must stay its own ("${creator.nodes}")`, 'nodes');
      }
      const parentExpiry = parentRecord.expiresAt === null ? null : Date.parse(parentRecord.expiresAt);
      if (parentExpiry !== null) {
        if (expiresAtMs === null) refuse(`it expires (${parentRecord.expiresAt}), so the new token must too`, 'ttl');
        else if (expiresAtMs > parentExpiry) {
          if (input.ttlMs === undefined) expiresAtMs = parentExpiry;
          else refuse(`the new token would outlive it (it expires ${parentRecord.expiresAt})`, 'ttl');
        }
      }
      if (input.ratePerSecond === undefined) ratePerSecond = Math.min(ratePerSecond, parentRecord.ratePerSecond);
      else if (ratePerSecond > parentRecord.ratePerSecond) refuse(`rate ${ratePerSecond}/s is above its own ${parentRecord.ratePerSecond}/s`, 'rate');
      if (input.burst === undefined) burst = Math.min(Math.max(1, Math.ceil(ratePerSecond * 2)), parentRecord.burst);
      else if (burst > parentRecord.burst) refuse(`burst ${burst} is above its own ${parentRecord.burst}`, 'rate');
    }
    await this.deleteEnded(nowMs - ENDED_TOKEN_RETENTION_MS);
    const maxTokens = this.options.maxTokens ?? MAX_TOKENS;
    if (this.liveCount(nowMs) >= maxTokens) throw new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `the daemon holds ${maxTokens} live tokens: revoke unused ones first`);
    // Live tokens are under the cap, but the table may be full of ended ones: those go first.
    if (this.held.size >= maxTokens) await this.deleteEnded(nowMs);

    const minted = mintToken();
    const record: TokenRecord = {
      id: minted.id,
      name,
      role,
      permissions,
      scopes,
      nodes,
      ratePerSecond,
      burst,
      secretSha256: minted.secretSha256,
      createdAt: new Date(nowMs).toISOString(),
      expiresAt: expiresAtMs === null ? null : new Date(expiresAtMs).toISOString(),
      revokedAt: null,
      createdBy: actorRef(creator),
      lastUsedAt: null,
    };
    await this.options.repository.insert(record);
    this.hold(record);
    return { token: minted.token, record };
  }

  /**
   * Revokes a token at once: recorded in the store, then every live call of it ends (its
   * actor's signal aborts). Revoking a revoked token is a no-op that returns it.
   */
  async revoke(id: string): Promise<TokenRecord> {
    const held = this.held.get(id);
    if (held === undefined) throw new PalyraError('PALYRA_E_TOKEN_NOT_FOUND', `no API token has the id "${id.slice(0, 64)}" (palyrad tokens list shows them)`, { details: { tokenId: id.slice(0, 64) } });
    if (held.record.revokedAt === null) {
      const at = this.now().toISOString();
      await this.options.repository.revoke(id, at);
      held.record = { ...held.record, revokedAt: at };
    }
    clearTimeout(held.timer);
    held.controller.abort(new PalyraError('PALYRA_E_UNAUTHENTICATED', `API token ${id} was revoked`));
    return held.record;
  }

  /**
   * Authenticates the `authorization` metadata value of a call from `remoteAddress`
   * (host:port). Throws PALYRA_E_UNAUTHENTICATED for a missing, malformed, unknown, wrong,
   * expired or revoked token, and PALYRA_E_RATE_LIMITED (before looking at the token at all)
   * once the address failed too often. Synchronous: no other call interleaves between the
   * throttle's check and its refund.
   */
  authenticate(authorization: string | undefined, remoteAddress: string): TokenActor {
    const host = hostOf(remoteAddress);
    // Counted as the connection caps count (an IPv6 peer per /64, an IPv4-mapped one as IPv4):
    // a guesser gets no fresh allowance from a new port or another address of its own /64.
    const throttleKey = addressKey(host);
    const nowMs = this.now().getTime();
    const wait = this.failures.take(throttleKey, nowMs);
    if (wait > 0) {
      this.log?.note('warn', 'auth-throttled', { remoteAddress: host, retryAfterMs: Math.ceil(wait) }, 'authentication refused: this address failed too often');
      throw rateLimited(`this address failed authentication too often: retry in ${formatWait(wait)}`, wait);
    }
    const failed = (message: string, reason: string, tokenId?: string): PalyraError => {
      // Never the presented text: it may be a secret. The id only when it parsed.
      this.log?.note('warn', 'auth-failed', { remoteAddress, reason, ...(tokenId === undefined ? {} : { tokenId }) }, 'authentication failed on the admin endpoint');
      return new PalyraError('PALYRA_E_UNAUTHENTICATED', message, { details: { reason } });
    };
    const presented = bearerOf(authorization);
    if (presented === undefined) throw failed('this endpoint needs an API token: send the metadata "authorization: Bearer pyt_..."', 'missing');
    let parsed;
    try {
      parsed = parseToken(presented);
    } catch {
      throw failed('the API token is malformed: a token is pyt_<26-character id>_<43-character secret>', 'malformed', tokenIdOf(presented));
    }
    const held = this.held.get(parsed.id);
    // An unknown id costs a hash and a compare too, and gets the same answer as a wrong secret.
    const matches = tokenSecretMatches(parsed.secret, held?.record.secretSha256 ?? '0'.repeat(64));
    parsed.secret.fill(0);
    if (held === undefined || !matches) throw failed(INVALID_TOKEN, 'invalid', parsed.id);
    const { record } = held;
    if (record.revokedAt !== null) throw failed(`API token ${record.id} was revoked at ${record.revokedAt}`, 'revoked', record.id);
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= nowMs) throw failed(`API token ${record.id} expired at ${record.expiresAt}`, 'expired', record.id);
    this.failures.refund(throttleKey);
    if (nowMs - held.lastTouchedMs >= LAST_USED_EVERY_MS) {
      held.lastTouchedMs = nowMs;
      const at = new Date(nowMs).toISOString();
      held.record = { ...record, lastUsedAt: at };
      this.options.repository.touch(record.id, at).catch((error: unknown) => {
        this.log?.note('warn', 'token-touch', { tokenId: record.id, error: PalyraError.from(error).message }, 'could not record a token use');
      });
    }
    const role = record.role as Role;
    const permissions = record.permissions.length === 0 ? ROLE_PERMISSIONS[role] : new Set(record.permissions.filter((p): p is Permission => isPermission(p) && ROLE_PERMISSIONS[role].has(p)));
    return {
      kind: 'token',
      tokenId: record.id,
      tokenName: record.name,
      role,
      permissions,
      scopes: record.scopes,
      nodes: record.nodes,
      expiresAt: record.expiresAt === null ? undefined : new Date(record.expiresAt),
      remoteAddress,
      signal: held.controller.signal,
    };
  }

  /**
   * Spends one call of the token's rate: PALYRA_E_RATE_LIMITED (RESOURCE_EXHAUSTED) with
   * details.retryAfterMs when it has none left.
   */
  charge(actor: Actor): void {
    if (actor.kind !== 'token') return;
    const held = this.held.get(actor.tokenId);
    if (held === undefined) return;
    const wait = held.buckets.take(actor.tokenId, this.now().getTime());
    if (wait > 0) {
      throw rateLimited(`token ${actor.tokenId} (${actor.tokenName}) is over its rate of ${held.record.ratePerSecond}/s (burst ${held.record.burst}): retry in ${formatWait(wait)}`, wait);
    }
  }

  /**
   * Counts a stream the token opens: returns what to call once it ends (once is enough; more
   * calls do nothing). PALYRA_E_LIMIT_EXCEEDED (RESOURCE_EXHAUSTED) when the token already
   * holds MAX_STREAMS_PER_TOKEN. The local owner is not counted.
   */
  openStream(actor: Actor): () => void {
    const held = actor.kind === 'token' ? this.held.get(actor.tokenId) : undefined;
    if (held === undefined) return () => undefined;
    if (held.streams >= MAX_STREAMS_PER_TOKEN) {
      throw new PalyraError(
        'PALYRA_E_LIMIT_EXCEEDED',
        `token ${held.record.id} (${held.record.name}) already holds ${MAX_STREAMS_PER_TOKEN} streams open: end one first (InvokeMany runs many invocations on one stream)`,
        { details: { limit: MAX_STREAMS_PER_TOKEN } },
      );
    }
    held.streams += 1;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      held.streams -= 1;
    };
  }

  /** Tokens neither revoked nor expired at `nowMs`. */
  private liveCount(nowMs: number): number {
    let live = 0;
    for (const { record } of this.held.values()) if (!ended(record, nowMs)) live += 1;
    return live;
  }

  /** Deletes the tokens revoked or expired before `beforeMs`, from the store and from memory. */
  private async deleteEnded(beforeMs: number): Promise<void> {
    const gone = [...this.held.values()].filter((h) => ended(h.record, beforeMs));
    if (gone.length === 0) return;
    await this.options.repository.deleteEnded(new Date(beforeMs).toISOString());
    for (const held of gone) {
      clearTimeout(held.timer);
      this.held.delete(held.record.id);
    }
  }

  private hold(record: TokenRecord): void {
    const previous = this.held.get(record.id);
    if (previous !== undefined) clearTimeout(previous.timer);
    const held: Held = {
      record,
      controller: previous?.controller ?? new AbortController(),
      buckets: new TokenBuckets(Math.max(1, record.burst), 1000 / Math.max(record.ratePerSecond, 1e-6)),
      lastTouchedMs: record.lastUsedAt === null ? 0 : Date.parse(record.lastUsedAt),
      streams: previous?.streams ?? 0,
    };
    this.held.set(record.id, held);
    if (record.revokedAt !== null) held.controller.abort(new PalyraError('PALYRA_E_UNAUTHENTICATED', `API token ${record.id} was revoked`));
    else if (record.expiresAt !== null) this.armExpiry(held);
  }

  /** Ends the token's live calls when it expires (re-armed for expiries beyond setTimeout's range). */
  private armExpiry(held: Held): void {
    if (this.closed || held.record.expiresAt === null) return;
    const left = Date.parse(held.record.expiresAt) - this.now().getTime();
    if (left <= 0) {
      held.controller.abort(new PalyraError('PALYRA_E_UNAUTHENTICATED', `API token ${held.record.id} expired at ${held.record.expiresAt}`));
      return;
    }
    held.timer = setTimeout(() => this.armExpiry(held), Math.min(left, MAX_TIMER_MS));
    held.timer.unref();
  }
}

function rateLimited(message: string, waitMs: number): PalyraError {
  return new PalyraError('PALYRA_E_RATE_LIMITED', message, { details: { retryAfterMs: Math.max(1, Math.ceil(waitMs)) } });
}

function formatWait(ms: number): string {
  return ms < 1000 ? `${Math.max(1, Math.ceil(ms))} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The token of `Bearer <token>` (the scheme is case-insensitive, as in RFC 6750). */
function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * The address part of a peer: grpc-js's getPeer() is `ADDRESS:PORT` with IPv6 unbracketed
 * ("::1:5000" -> "::1"; "[::1]:5000" too). Throttles count per address, never per connection.
 */
export function hostOf(remoteAddress: string): string {
  return peerAddress(remoteAddress);
}

/** Revoked, or expired, at or before `atMs`. */
function ended(record: TokenRecord, atMs: number): boolean {
  return (record.revokedAt !== null && Date.parse(record.revokedAt) <= atMs) || (record.expiresAt !== null && Date.parse(record.expiresAt) <= atMs);
}

/**
 * A token's selector cannot name `status` or `capability`: a token's scope does not see them
 * (status changes under it; capabilities are what the node says), so they would be missing keys
 * and `capability!=shell.exec` or `!status` would match every node. Refused instead of silently
 * widening (PALYRA_E_SELECTOR_INVALID).
 */
function assertTokenSelector(nodes: string): void {
  for (const { key } of parseSelector(nodes).requirements) {
    if (key === 'status' || key === 'capability') {
      throw new PalyraError('PALYRA_E_SELECTOR_INVALID', `a token's node selector cannot use "${key}": it matches operator labels, name, deviceId and platform only`, {
        details: { reason: 'selector-invalid', key },
      });
    }
  }
}
