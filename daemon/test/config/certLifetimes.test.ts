import { describe, expect, it } from 'vitest';
import { PalyraError } from '@palyra/shared/errors';
import { loadDaemonSettings, certLifetimes } from '../../src/config/daemonSettings.js';

const H = 3_600_000;
const D = 24 * H;

async function lifetimes(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv = {}) {
  // Only flags and the given env (no PALYRA_CONFIG; the repository holds no palyra config file).
  const { settings } = await loadDaemonSettings(flags, { env, configPath: undefined });
  return certLifetimes(settings);
}

describe('certificate lifetime settings', () => {
  it('defaults to 24h certificates and a 30d grace, no warning', async () => {
    expect(await lifetimes({})).toEqual({ certValidityMs: 24 * H, renewalGraceMs: 30 * D, warnings: [] });
  });

  it('takes durations from flags and env; 0 turns the grace off; under 1h warns', async () => {
    expect(await lifetimes({ certValidity: '7d', renewalGrace: '0' })).toMatchObject({ certValidityMs: 7 * D, renewalGraceMs: 0, warnings: [] });
    const short = await lifetimes({}, { PALYRA_CERT_VALIDITY: '90s', PALYRA_RENEWAL_GRACE: '2h' });
    expect(short.certValidityMs).toBe(90_000);
    expect(short.renewalGraceMs).toBe(2 * H);
    expect(short.warnings.join('\n')).toMatch(/for tests/);
  });

  it('refuses lifetimes under 1m or over 365d (PALYRA_E_USAGE)', async () => {
    for (const value of ['59s', '366d', 'soon', '0']) {
      const error = await lifetimes({ certValidity: value }).catch((e: unknown) => e);
      expect(error, value).toBeInstanceOf(PalyraError);
      expect((error as PalyraError).code).toBe('PALYRA_E_USAGE');
    }
  });

  it('keeps --cert-validity-days as a deprecated alias, which --cert-validity overrides', async () => {
    const days = await lifetimes({ certValidityDays: '3' });
    expect(days.certValidityMs).toBe(3 * D);
    expect(days.warnings.join('\n')).toMatch(/deprecated: use --cert-validity 3d/);
    const both = await lifetimes({ certValidityDays: '3', certValidity: '12h' });
    expect(both.certValidityMs).toBe(12 * H);
    expect(both.warnings.join('\n')).toMatch(/ignored/);
  });
});
