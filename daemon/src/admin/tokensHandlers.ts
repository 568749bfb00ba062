import type { CreatedToken, CreateTokenRequest__Output, ListTokensRequest__Output, ListTokensResponse, RevokeTokenRequest__Output, TokenInfo } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { Logger } from '@palyra/shared/logging';
import type { Actor } from '../access/Actor.js';
import { auditActorOf, auditDenied } from '../access/auditDenied.js';
import type { CreateTokenInput, TokenService } from '../access/TokenService.js';
import type { AuditSink } from '../audit/types.js';
import type { TokenRecord } from '../store/types.js';

/** A token as AdminService shows it: never its secret, nor the secret's hash. */
export function toTokenInfo(record: TokenRecord): TokenInfo {
  return {
    id: record.id,
    name: record.name,
    role: record.role,
    scopes: record.scopes,
    nodes: record.nodes,
    ratePerSecond: record.ratePerSecond,
    burst: record.burst,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt ?? '',
    revokedAt: record.revokedAt ?? '',
    createdBy: record.createdBy,
    lastUsedAt: record.lastUsedAt ?? '',
    permissions: record.permissions,
  };
}

export interface TokensHandlerDeps {
  tokens?: TokenService;
  audit?: AuditSink;
  logger?: Logger;
}

function tokensOf(deps: TokensHandlerDeps): TokenService {
  if (deps.tokens === undefined) throw new PalyraError('PALYRA_E_INTERNAL', 'API tokens are not available in this daemon');
  return deps.tokens;
}

/** uint64 arrives as text: seconds, bounded so that milliseconds stay exact. */
function ttlMsOf(text: string): number | undefined {
  const seconds = Number(text);
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'ttl_seconds is not a whole number of seconds');
  return seconds === 0 ? undefined : seconds * 1000;
}

/** CreateToken: mints a token (no-escalation rule in TokenService); the record is audited before the secret is returned. */
export async function createToken(deps: TokensHandlerDeps, actor: Actor, request: CreateTokenRequest__Output): Promise<CreatedToken> {
  const ttlMs = ttlMsOf(request.ttlSeconds);
  if (request.neverExpires && ttlMs !== undefined) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'a token either expires after ttl_seconds or never, not both');
  const { token, record } = await mintAudited(deps, actor, {
    name: request.name,
    role: request.role,
    ...(ttlMs === undefined ? {} : { ttlMs }),
    neverExpires: request.neverExpires,
    scopes: request.scopes,
    permissions: request.permissions,
    nodes: request.nodes,
    ...(request.ratePerSecond > 0 ? { ratePerSecond: request.ratePerSecond } : {}),
    ...(request.burst > 0 ? { burst: request.burst } : {}),
  });
  await deps.audit?.append({
    action: 'token.create',
    actor: auditActorOf(actor),
    outcome: 'ok',
    remoteAddress: actor.remoteAddress,
    details: { tokenId: record.id, tokenName: record.name, role: record.role, expiresAt: record.expiresAt ?? 'never', scopes: record.scopes.join(','), nodes: record.nodes },
  });
  return { token, info: toTokenInfo(record) };
}

/** A refusal by the no-escalation rule is an auth.denied record too, naming tokens.create. */
async function mintAudited(deps: TokensHandlerDeps, actor: Actor, input: CreateTokenInput): Promise<{ token: string; record: TokenRecord }> {
  try {
    return await tokensOf(deps).create(actor, input);
  } catch (error) {
    if (error instanceof PalyraError && error.code === 'PALYRA_E_FORBIDDEN') auditDenied(deps.audit, deps.logger, actor, 'CreateToken', error);
    throw error;
  }
}

export function listTokens(deps: TokensHandlerDeps, request: ListTokensRequest__Output): ListTokensResponse {
  return { tokens: tokensOf(deps).list({ includeRevoked: request.includeRevoked }).map(toTokenInfo) };
}

/** RevokeToken: takes effect at once (its open streams end), audited before the answer. */
export async function revokeToken(deps: TokensHandlerDeps, actor: Actor, request: RevokeTokenRequest__Output): Promise<TokenInfo> {
  const record = await tokensOf(deps).revoke(request.tokenId);
  await deps.audit?.append({
    action: 'token.revoke',
    actor: auditActorOf(actor),
    outcome: 'ok',
    remoteAddress: actor.remoteAddress,
    details: { tokenId: record.id, tokenName: record.name, role: record.role },
  });
  return toTokenInfo(record);
}
