import type { TokenInfo__Output } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';

/** A token as the tokens commands print it in JSON: never its secret. */
export function tokenJson(info: TokenInfo__Output): Record<string, unknown> {
  return {
    id: info.id,
    name: info.name,
    role: info.role,
    permissions: info.permissions,
    scopes: info.scopes,
    nodes: info.nodes,
    ratePerSecond: info.ratePerSecond,
    burst: info.burst,
    createdAt: info.createdAt,
    expiresAt: info.expiresAt === '' ? null : info.expiresAt,
    revokedAt: info.revokedAt === '' ? null : info.revokedAt,
    createdBy: info.createdBy,
    lastUsedAt: info.lastUsedAt === '' ? null : info.lastUsedAt,
  };
}

/** One line per token for people. */
export function tokenLine(info: TokenInfo__Output): string {
  const state = info.revokedAt !== '' ? `revoked ${info.revokedAt}` : info.expiresAt === '' ? 'never expires' : `expires ${info.expiresAt}`;
  const narrowed = [
    info.permissions.length > 0 ? `permissions ${info.permissions.join(',')}` : '',
    info.scopes.length > 0 ? `scopes ${info.scopes.join(',')}` : '',
    info.nodes !== '' ? `nodes ${info.nodes}` : '',
  ].filter((part) => part !== '');
  return `${info.id}  ${info.name}  ${info.role}  ${state}  ${info.ratePerSecond}/s burst ${info.burst}${narrowed.length > 0 ? `  ${narrowed.join('  ')}` : ''}  last used ${info.lastUsedAt || 'never'}`;
}

const RATE_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `20/s`, `600/m`, `5000/h` or a bare number (per second): calls per second. */
export function parseRate(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|h))?\s*$/.exec(text);
  const amount = Number(match?.[1]);
  if (match === null || !(amount > 0)) throw new PalyraError('PALYRA_E_USAGE', `--rate "${text}" is not a rate: use calls per second, minute or hour, e.g. 20/s or 600/m`);
  return amount / (RATE_UNITS[match[2] ?? 's'] ?? 1);
}
