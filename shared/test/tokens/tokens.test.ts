import { describe, expect, it } from 'vitest';
import { PalyraError } from '../../src/errors/index.js';
import { formatToken, hashTokenSecret, mintToken, parseToken, TOKEN_LENGTH, tokenIdOf, tokenSecretMatches } from '../../src/tokens/index.js';

function refusal(text: string): PalyraError {
  try {
    parseToken(text);
  } catch (error) {
    expect(error).toBeInstanceOf(PalyraError);
    return error as PalyraError;
  }
  throw new Error(`parseToken accepted ${text}`);
}

describe('API tokens', () => {
  it('mints pyt_<ULID>_<43 base64url>, parses back to the same id and secret, and stores only the hash', () => {
    const minted = mintToken();
    expect(minted.token).toMatch(/^pyt_[0-7][0-9A-HJKMNP-TV-Z]{25}_[A-Za-z0-9_-]{43}$/);
    expect(minted.token).toHaveLength(TOKEN_LENGTH);
    const parsed = parseToken(minted.token);
    expect(parsed.id).toBe(minted.id);
    expect(parsed.secret).toHaveLength(32);
    expect(hashTokenSecret(parsed.secret)).toBe(minted.secretSha256);
    expect(minted.secretSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(formatToken(parsed.id, parsed.secret)).toBe(minted.token);
    expect(tokenSecretMatches(parsed.secret, minted.secretSha256)).toBe(true);
    expect(tokenSecretMatches(Buffer.alloc(32), minted.secretSha256)).toBe(false);
    expect(tokenSecretMatches(parsed.secret, 'abcd')).toBe(false);
    expect(mintToken().token).not.toBe(minted.token);
  });

  it('refuses malformed tokens with PALYRA_E_INVALID_ARGUMENT (reason token-malformed), never echoing the secret', () => {
    const { token, id } = mintToken();
    const secret = token.slice(-43);
    const cases = [
      '',
      'pyt_',
      token.replace('pyt_', 'pyx_'),
      token.toLowerCase(),
      token.slice(0, -1),
      `${token}A`,
      token.replace(`${id}_`, `${id}-`),
      `${token.slice(0, -1)}!`,
      `Bearer ${token}`,
    ];
    for (const text of cases) {
      const error = refusal(text);
      expect(error.code).toBe('PALYRA_E_INVALID_ARGUMENT');
      expect(error.details?.reason).toBe('token-malformed');
      expect(error.message).not.toContain(secret);
      expect(error.message).toMatch(/not a Palyra API token/);
    }
    // A well-formed id part is named (for logs), the secret never.
    expect(refusal(token.slice(0, -1)).details?.tokenId).toBe(id);
    expect(tokenIdOf(token.slice(0, -1))).toBe(id);
    expect(tokenIdOf('garbage')).toBeUndefined();
  });

  it('a non-canonical last character (extra low bits) is refused: one spelling per secret', () => {
    const { id } = mintToken();
    // "A" * 42 then "B": the last character sets a bit past the 256th.
    const error = refusal(`pyt_${id}_${'A'.repeat(42)}B`);
    expect(error.message).toMatch(/canonical/);
    expect(parseToken(`pyt_${id}_${'A'.repeat(42)}E`).secret.at(-1)).toBe(1);
  });
});
