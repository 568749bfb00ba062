import { describe, expect, it } from 'vitest';
import type { PalyraError } from '@palyra/shared/errors';
import { resolveControlTarget, type TargetFlags } from '../../src/commands/controlTarget.js';

const FP = 'ab'.repeat(32);
const local = (): string => '/var/lib/palyra';

function codeOf(flags: TargetFlags, env: NodeJS.ProcessEnv = {}): string | undefined {
  try {
    resolveControlTarget(flags, local, env);
    return undefined;
  } catch (error) {
    return (error as PalyraError).code;
  }
}

describe('resolveControlTarget: which daemon a command talks to', () => {
  it('--profile, then --daemon, then PALYRA_PROFILE, then the local socket', () => {
    expect(resolveControlTarget({ profile: 'prod' }, local, { PALYRA_PROFILE: 'other' })).toEqual({ kind: 'profile', name: 'prod' });
    expect(resolveControlTarget({ daemon: 'h:1', caFingerprint: FP }, local, { PALYRA_PROFILE: 'other', PALYRA_TOKEN: 't' })).toEqual({
      kind: 'address',
      address: 'h:1',
      caFingerprint: FP,
      token: 't',
    });
    expect(resolveControlTarget({}, local, { PALYRA_PROFILE: 'other' })).toEqual({ kind: 'profile', name: 'other' });
    expect(resolveControlTarget({}, local, {})).toEqual({ kind: 'local', stateDir: '/var/lib/palyra' });
  });

  it('takes the fingerprint from PALYRA_CA_FINGERPRINT, the token only from PALYRA_TOKEN; an explicit --state-dir beats PALYRA_PROFILE', () => {
    expect(resolveControlTarget({ daemon: 'h:1' }, local, { PALYRA_CA_FINGERPRINT: FP, PALYRA_TOKEN: 't' })).toMatchObject({ kind: 'address', caFingerprint: FP });
    expect(resolveControlTarget({ stateDir: '/x' }, () => '/x', { PALYRA_PROFILE: 'prod' })).toEqual({ kind: 'local', stateDir: '/x' });
    // A profile's own token wins over PALYRA_TOKEN (which only goes with --daemon).
    expect(resolveControlTarget({ profile: 'p' }, local, { PALYRA_TOKEN: 't' })).toEqual({ kind: 'profile', name: 'p' });
  });

  it('conflicting or incomplete choices are PALYRA_E_USAGE', () => {
    const env = { PALYRA_TOKEN: 't' };
    expect(codeOf({ profile: 'p', daemon: 'h:1', caFingerprint: FP }, env)).toBe('PALYRA_E_USAGE');
    expect(codeOf({ profile: 'p', stateDir: '/x' })).toBe('PALYRA_E_USAGE');
    expect(codeOf({ daemon: 'h:1', caFingerprint: FP, stateDir: '/x' }, env)).toBe('PALYRA_E_USAGE');
    expect(codeOf({ caFingerprint: FP })).toBe('PALYRA_E_USAGE');
    expect(codeOf({ daemon: 'h:1' }, env)).toBe('PALYRA_E_USAGE');
    expect(codeOf({ daemon: 'h:1', caFingerprint: FP })).toBe('PALYRA_E_USAGE');
  });
});
