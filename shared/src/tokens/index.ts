/**
 * API tokens: `pyt_<id>_<secret>`. The id is a ULID (26 characters, public: it names the token
 * in lists, logs and the audit log); the secret is 32 random bytes in base64url without padding
 * (43 characters, 256 bits). The daemon stores only SHA-256 of the secret bytes and compares
 * hashes in constant time. Both sides (daemon and client) parse with this module, so a token
 * one accepts the other accepts too.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PalyraError } from '../errors/index.js';
import { isUlid, newUlid } from '../ids/ulid.js';
import { constantTimeEqual } from '../pairing/encoding.js';

export const TOKEN_PREFIX = 'pyt_';
/** 32 random bytes: a 256-bit secret. */
export const TOKEN_SECRET_BYTES = 32;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** prefix + 26 + "_" + 43. */
export const TOKEN_LENGTH = TOKEN_PREFIX.length + 26 + 1 + 43;

export interface ParsedToken {
  id: string;
  /** The 32 secret bytes. Never log, store or put them in a message. */
  secret: Buffer;
}

export interface MintedToken {
  id: string;
  /** The whole token, to show once. */
  token: string;
  /** Lowercase hex SHA-256 of the secret bytes: what the daemon keeps. */
  secretSha256: string;
}

/** A new token id (a ULID). */
export function newTokenId(): string {
  return newUlid();
}

/** Mints a token: a new id (unless given) and 32 bytes from the OS's CSPRNG. */
export function mintToken(id: string = newTokenId()): MintedToken {
  const secret = randomBytes(TOKEN_SECRET_BYTES);
  return { id, token: formatToken(id, secret), secretSha256: hashTokenSecret(secret) };
}

export function formatToken(id: string, secret: Buffer): string {
  if (!isUlid(id)) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'a token id is a ULID in upper case', { details: { reason: 'token-malformed' } });
  if (secret.length !== TOKEN_SECRET_BYTES) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `a token secret is ${TOKEN_SECRET_BYTES} bytes`, { details: { reason: 'token-malformed' } });
  return `${TOKEN_PREFIX}${id}_${secret.toString('base64url')}`;
}

/**
 * Splits a token into id and secret bytes. Anything else is PALYRA_E_INVALID_ARGUMENT with
 * details.reason "token-malformed" and, when the id part is well formed, details.tokenId; the
 * message says what is wrong with the shape but never repeats the text (it may be a secret
 * pasted in the wrong place).
 */
export function parseToken(text: string): ParsedToken {
  const malformed = (what: string, tokenId?: string): PalyraError =>
    new PalyraError('PALYRA_E_INVALID_ARGUMENT', `not a Palyra API token: ${what} (a token is ${TOKEN_PREFIX}<26-character id>_<43-character secret>)`, {
      details: { reason: 'token-malformed', ...(tokenId === undefined ? {} : { tokenId }) },
    });
  if (typeof text !== 'string') throw malformed('it is not text');
  const value = text.trim();
  if (!value.startsWith(TOKEN_PREFIX)) throw malformed(`it does not start with "${TOKEN_PREFIX}"`);
  const id = value.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + 26);
  if (!isUlid(id)) throw malformed('its id part is not an upper-case ULID');
  if (value.charAt(TOKEN_PREFIX.length + 26) !== '_') throw malformed('no "_" after its id', id);
  const secretText = value.slice(TOKEN_PREFIX.length + 27);
  if (!SECRET_PATTERN.test(secretText)) throw malformed(`its secret part is not ${43} base64url characters`, id);
  const secret = Buffer.from(secretText, 'base64url');
  // 43 characters carry 258 bits: the last character's 2 low bits must be zero for one spelling per secret.
  if (secret.length !== TOKEN_SECRET_BYTES || secret.toString('base64url') !== secretText) throw malformed('its secret part is not canonical base64url', id);
  return { id, secret };
}

/** The token id, if `text` has a well-formed id part (for logs of failed authentication); never the secret. */
export function tokenIdOf(text: string): string | undefined {
  if (typeof text !== 'string' || !text.startsWith(TOKEN_PREFIX)) return undefined;
  const id = text.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + 26);
  return isUlid(id) ? id : undefined;
}

/** Lowercase hex SHA-256 of the secret bytes. */
export function hashTokenSecret(secret: Buffer): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Whether `secret` hashes to `expectedSha256` (hex), compared in constant time. */
export function tokenSecretMatches(secret: Buffer, expectedSha256: string): boolean {
  const actual = createHash('sha256').update(secret).digest();
  return constantTimeEqual(actual, Buffer.from(expectedSha256, 'hex'));
}
