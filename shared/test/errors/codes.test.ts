import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, PalyraError, formatErrorLine, type ErrorCode } from '../../src/errors/index.js';

const docs = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');

describe('error codes', () => {
  it('docs/errors.md lists every code with its exit status, gRPC status and meaning', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(docs).toContain(`| \`${code}\` | ${info.exitCode} | ${info.grpc} | ${info.summary} |`);
    }
  });

  it('docs/errors.md lists no code that does not exist', () => {
    const documented = [...docs.matchAll(/`(PALYRA_E_[A-Z0-9_]+)`/g)].map((m) => m[1]);
    for (const code of documented) expect(Object.keys(ERROR_CODES)).toContain(code);
  });

  it('every code is PALYRA_E_ and exits non-zero', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^PALYRA_E_[A-Z0-9_]+$/);
      expect(info.exitCode).toBeGreaterThan(0);
    }
  });

  it('round-trips through JSON and formats as one line', () => {
    const error = new PalyraError('PALYRA_E_PAIRING_FAILED', 'wrong PIN\nor tampered', { details: { attempt: 1 } });
    const back = PalyraError.fromJSON(JSON.parse(JSON.stringify(error)));
    expect(back.code).toBe<ErrorCode>('PALYRA_E_PAIRING_FAILED');
    expect(back.details).toEqual({ attempt: 1 });
    expect(formatErrorLine(back)).toBe('error PALYRA_E_PAIRING_FAILED: wrong PIN or tampered');
    expect(PalyraError.fromJSON({ code: 'NOPE', message: 'x' }).code).toBe('PALYRA_E_INTERNAL');
  });
});
