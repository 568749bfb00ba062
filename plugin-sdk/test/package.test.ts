import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as sdk from '@palyra/plugin-sdk';
import * as sharedErrors from '@palyra/shared/errors';
import * as sharedPlugins from '@palyra/shared/plugins';

describe('@palyra/plugin-sdk as a package', () => {
  it('is the one implementation: @palyra/shared re-exports its PalyraError, codes and contract', () => {
    expect(sharedErrors.PalyraError).toBe(sdk.PalyraError);
    expect(sharedErrors.ERROR_CODES).toBe(sdk.ERROR_CODES);
    expect(sharedPlugins.definePlugin).toBe(sdk.definePlugin);
    expect(new sharedErrors.PalyraError('PALYRA_E_INTERNAL', 'x')).toBeInstanceOf(sdk.PalyraError);
  });

  it('loads no native addon and not ajv from its main entry', () => {
    // Run in a fresh process: what importing the SDK alone loads.
    const script = [
      "import { createRequire } from 'node:module';",
      "await import('@palyra/plugin-sdk');",
      'const objects = process.report.getReport().sharedObjects.filter((o) => o.endsWith(".node"));',
      "const cached = Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes('node_modules'));",
      'console.log(JSON.stringify({ objects, cached }));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url), encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ objects: [], cached: [] });
  });
});

describe('throwIfAborted and deepFreeze (one of each)', () => {
  it('throwIfAborted keeps a PalyraError reason and turns any other into PALYRA_E_CANCELLED', () => {
    sdk.throwIfAborted(new AbortController().signal);
    sdk.throwIfAborted(undefined);
    const timeout = new sdk.PalyraError('PALYRA_E_TIMEOUT', 'late');
    expect(() => sdk.throwIfAborted(AbortSignal.abort(timeout))).toThrow(timeout);
    expect(() => sdk.throwIfAborted(AbortSignal.abort(new Error('stop')), 'the walk')).toThrow(
      expect.objectContaining({ code: 'PALYRA_E_CANCELLED', message: 'the walk was cancelled' }),
    );
  });

  it('deepFreeze freezes nested objects, arrays and symbol-keyed values', () => {
    const tag = Symbol('tag');
    const value = { a: { b: [1, { c: 2 }] }, [tag]: { d: 3 } };
    expect(sdk.deepFreeze(value)).toBe(value);
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
    expect(Object.isFrozen(value[tag])).toBe(true);
  });
});
