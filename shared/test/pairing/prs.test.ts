import { describe, expect, it } from 'vitest';
import { PIN_PRS_SCRYPT, derivePinPrs, deriveQrPrs } from '../../src/pairing/index.js';
import { expectPalyraError } from './helpers.js';
import { rejection } from '../../../test/helpers/errorAssertions.js';

// derivePinPrs itself runs in protocol.test.ts (twice); here only the paths that stop before scrypt.
const salt = new Uint8Array(16).fill(1);

describe('derivePinPrs', () => {
  it('uses the documented scrypt cost', () => {
    expect(PIN_PRS_SCRYPT).toMatchObject({ N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024, keyLength: 32 });
    // scrypt needs 128 * N * r bytes; maxmem must leave room for it.
    expect(128 * PIN_PRS_SCRYPT.N * PIN_PRS_SCRYPT.r).toBeLessThan(PIN_PRS_SCRYPT.maxmem);
  });

  for (const pin of ['12345', '1234567', '12345a', ' 123456', '123456\n', '１２３４５６', '١٢٣٤٥٦', '', '12 456']) {
    it(`rejects ${JSON.stringify(pin)} without echoing it`, async () => {
      const error = await rejection(derivePinPrs(pin, salt));
      expect(error.code).toBe('PALYRA_E_INVALID_ARGUMENT');
      if (pin.trim() !== '') expect(error.message).not.toContain(pin.trim());
    });
  }

  it('rejects a non-string PIN', async () => {
    expect((await rejection(derivePinPrs(123456 as never, salt))).code).toBe('PALYRA_E_INVALID_ARGUMENT');
  });

  it('rejects salts outside 16..64 bytes', async () => {
    expect((await rejection(derivePinPrs('123456', new Uint8Array(15)))).code).toBe('PALYRA_E_INVALID_ARGUMENT');
    expect((await rejection(derivePinPrs('123456', new Uint8Array(65)))).code).toBe('PALYRA_E_INVALID_ARGUMENT');
  });

  it('rejects with PALYRA_E_CANCELLED when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('shutdown'));
    const error = await rejection(derivePinPrs('123456', salt, { signal: controller.signal }));
    expect(error.code).toBe('PALYRA_E_CANCELLED');
  });
});

describe('deriveQrPrs', () => {
  const token = new Uint8Array(16).fill(0xab);

  it('is 32 bytes, deterministic, and depends on token and salt', () => {
    const prs = deriveQrPrs(token, salt);
    expect(prs.length).toBe(32);
    expect(deriveQrPrs(token, salt)).toEqual(prs);
    expect(deriveQrPrs(new Uint8Array(16).fill(0xac), salt)).not.toEqual(prs);
    expect(deriveQrPrs(token, new Uint8Array(16).fill(2))).not.toEqual(prs);
  });

  it('rejects tokens shorter than 128 bits and malformed salts', () => {
    expectPalyraError(() => deriveQrPrs(new Uint8Array(15), salt), 'PALYRA_E_INVALID_ARGUMENT');
    expectPalyraError(() => deriveQrPrs(token, new Uint8Array(8)), 'PALYRA_E_INVALID_ARGUMENT');
    expectPalyraError(() => deriveQrPrs('token' as never, salt), 'PALYRA_E_INVALID_ARGUMENT');
  });
});
