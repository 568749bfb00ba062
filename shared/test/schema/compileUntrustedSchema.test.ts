import { describe, expect, it } from 'vitest';
import { PalyraError } from '../../src/errors/index.js';
import { compileUntrustedSchema, UNTRUSTED_SCHEMA_LIMITS } from '../../src/schema/index.js';

function refused(schema: Record<string, unknown>): PalyraError {
  try {
    compileUntrustedSchema(schema, 'the input schema of evil.match');
  } catch (error) {
    expect(error).toBeInstanceOf(PalyraError);
    expect((error as PalyraError).code).toBe('PALYRA_E_SCHEMA_REFUSED');
    expect((error as PalyraError).message).toContain('the input schema of evil.match');
    return error as PalyraError;
  }
  throw new Error('the schema was accepted');
}

const EVIL_INPUT = `${'a'.repeat(30)}!`;

describe('compileUntrustedSchema', () => {
  it('matches catastrophic-backtracking patterns in linear time (the 31-character input returns, and is invalid)', () => {
    // With V8's engine this input takes 2^30 steps: the test would not finish.
    for (const pattern of ['^([a-z]+)*$', '^(a|a)*$', '^(a|aa)+$', '^(\\w+\\s?)*$']) {
      const validate = compileUntrustedSchema({ type: 'object', properties: { s: { type: 'string', pattern } } }, 'evil');
      expect(validate({ s: EVIL_INPUT }), pattern).toEqual(['/s must match pattern "' + pattern + '"']);
      expect(validate({ s: 'a'.repeat(30) }), pattern).toEqual([]);
    }
  });

  it('runs patternProperties through the linear engine too', () => {
    const validate = compileUntrustedSchema(
      { type: 'object', patternProperties: { '^([a-z]+)*$': { type: 'number' } }, additionalProperties: false },
      'evil',
    );
    expect(validate({ [EVIL_INPUT]: 1 })).not.toEqual([]);
    expect(validate({ abc: 'x' })).not.toEqual([]);
    expect(validate({ abc: 1 })).toEqual([]);
  });

  it('keeps JavaScript pattern syntax RE2 shares (\\u escapes, named groups, classes) and the unanchored semantics of pattern', () => {
    const validate = compileUntrustedSchema({ properties: { s: { type: 'string', pattern: '(?<word>\\u00e9[\\d_-]+)' } } }, 'ok');
    expect(validate({ s: 'xx é1-2 yy' })).toEqual([]);
    expect(validate({ s: 'e12' })).not.toEqual([]);
    // Two patterns in one schema are two regexes (ajv keys them by toString()).
    const two = compileUntrustedSchema({ properties: { a: { pattern: '^a$' }, b: { pattern: '^b$' } } }, 'two');
    expect(two({ a: 'a', b: 'b' })).toEqual([]);
    expect(two({ a: 'b', b: 'a' })).toHaveLength(2);
  });

  it('refuses backreferences and lookaround, naming the keyword and the problem', () => {
    expect(refused({ properties: { s: { pattern: '^(a+)\\1$' } } }).message).toMatch(/\/properties\/s\/pattern: pattern "\^\(a\+\)\\\\1\$" is refused: invalid escape sequence/);
    expect(refused({ properties: { s: { pattern: '(?<n>a)\\k<n>' } } }).message).toContain('backreferences');
    expect(refused({ properties: { s: { pattern: 'a(?=b)' } } }).message).toContain('/properties/s/pattern');
    expect(refused({ properties: { s: { pattern: '(?<!b)a' } } }).message).toContain('/properties/s/pattern');
    expect(refused({ patternProperties: { '(a)\\1': {} } }).message).toContain('/patternProperties');
  });

  it('shows a refused pattern bounded and with invisible characters escaped', () => {
    const message = refused({ properties: { s: { pattern: `\u202e${'x'.repeat(500)}(?=y)` } } }).message;
    expect(message).not.toContain('\u202e');
    expect(message).toContain('\\u{202e}');
    expect(message.length).toBeLessThan(400);
  });

  it('refuses recursive and exponentially shared $ref, and references outside the schema', () => {
    expect(refused({ properties: { a: { allOf: [{ $ref: '#' }, { $ref: '#' }] } } }).message).toContain('recursive $ref');
    const definitions: Record<string, unknown> = { d13: { type: "string" } };
    for (let i = 0; i < 13; i += 1) definitions[`d${i}`] = { allOf: [{ $ref: `#/definitions/d${i + 1}` }, { $ref: `#/definitions/d${i + 1}` }] };
    expect(refused({ definitions, $ref: '#/definitions/d0' }).message).toContain('inlined');
    expect(refused({ $ref: 'https://example.com/schema.json' }).message).toContain('same schema');
    expect(refused({ $ref: '#/definitions/missing' }).message).toContain('points to nothing');
    // An acyclic local reference is fine.
    const validate = compileUntrustedSchema({ definitions: { path: { type: 'string' } }, properties: { p: { $ref: '#/definitions/path' } } }, 'ok');
    expect(validate({ p: 1 })).not.toEqual([]);
    expect(validate({ p: 'x' })).toEqual([]);
  });

  it('refuses uniqueItems over objects or arrays (quadratic), accepts it over scalars', () => {
    expect(refused({ type: 'array', uniqueItems: true }).message).toContain('uniqueItems');
    expect(refused({ type: 'array', uniqueItems: true, items: { type: 'object' } }).message).toContain('uniqueItems');
    const validate = compileUntrustedSchema({ type: 'array', uniqueItems: true, items: { type: ['string', 'integer'] } }, 'ok');
    expect(validate(['a', 1, 'b'])).toEqual([]);
    expect(validate(['a', 'a'])).not.toEqual([]);
  });

  it('refuses an oversized schema: too many keywords, too deep, too many patterns, a too large regex program', () => {
    const properties: Record<string, unknown> = {};
    for (let i = 0; i <= UNTRUSTED_SCHEMA_LIMITS.maxKeywords / 2; i += 1) properties[`p${i}`] = { type: 'string', maxLength: 1 };
    expect(refused({ type: 'object', properties }).message).toContain(`more than ${UNTRUSTED_SCHEMA_LIMITS.maxKeywords} keywords`);
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 40; i += 1) deep = { items: deep };
    expect(refused(deep).message).toContain('nested deeper');
    const many: Record<string, unknown> = {};
    for (let i = 0; i <= UNTRUSTED_SCHEMA_LIMITS.maxPatterns; i += 1) many[`p${i}`] = { pattern: `^${i}$` };
    expect(refused({ properties: many }).message).toContain('patterns');
    expect(refused({ properties: { s: { pattern: '[a-z]{1000}[0-9]{1000}[A-Z]{1000}[a-f]{1000}x{1000}' } } }).message).toContain('instructions');
    expect(refused({ properties: { s: { pattern: 'x'.repeat(2000) } } }).message).toContain('longer than');
  });

  it('does not check format (ajv would build a V8 regex for it) and stays a valid validator otherwise', () => {
    const validate = compileUntrustedSchema({ type: 'object', properties: { e: { type: 'string', format: 'email' } }, required: ['e'] }, 'ok');
    expect(validate({ e: 'not an email' })).toEqual([]);
    expect(validate({})).not.toEqual([]);
  });
});
