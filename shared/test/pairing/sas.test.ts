import { describe, expect, it } from 'vitest';
import { formatSas } from '../../src/pairing/sas.js';
import { expectPalyraError } from './helpers.js';

describe('formatSas', () => {
  it('renders 40 bits as two groups of four Crockford base32 characters, high bits first', () => {
    expect(formatSas(Uint8Array.of(0, 0, 0, 0, 0))).toBe('0000-0000');
    expect(formatSas(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff))).toBe('ZZZZ-ZZZZ');
    // 00001 00001 ... : every 5-bit group is 1.
    expect(formatSas(Uint8Array.of(0x08, 0x42, 0x10, 0x84, 0x21))).toBe('1111-1111');
    // 10000 (16 = G) then zeros.
    expect(formatSas(Uint8Array.of(0x80, 0, 0, 0, 0))).toBe('G000-0000');
    // The last group holds the lowest 5 bits: 0b11111 = Z.
    expect(formatSas(Uint8Array.of(0, 0, 0, 0, 0x1f))).toBe('0000-000Z');
  });

  it('never uses the ambiguous letters I, L, O, U and never looks like a 6-digit PIN', () => {
    for (let i = 0; i < 200; i++) {
      const sas = formatSas(crypto.getRandomValues(new Uint8Array(5)));
      expect(sas).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
      expect(sas).not.toMatch(/^\d{6}$/);
    }
  });

  it('takes exactly 5 bytes', () => {
    expectPalyraError(() => formatSas(new Uint8Array(4)), 'PALYRA_E_INVALID_ARGUMENT');
    expectPalyraError(() => formatSas(new Uint8Array(6)), 'PALYRA_E_INVALID_ARGUMENT');
  });
});
