import { describe, expect, it } from 'vitest';
import { CA_EXPIRY_WARNING_MS, caExpiryWarning } from '../../src/ca/caExpiry.js';

describe('caExpiryWarning (palyrad status)', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const at = (ms: number): string => new Date(now.getTime() + ms).toISOString();

  it('says nothing while a year or more is left', () => {
    expect(caExpiryWarning(at(CA_EXPIRY_WARNING_MS), now)).toBeUndefined();
    expect(caExpiryWarning(at(9 * CA_EXPIRY_WARNING_MS), now)).toBeUndefined();
  });

  it('warns under a year ahead, with the days left and what to do', () => {
    const warning = caExpiryWarning(at(CA_EXPIRY_WARNING_MS - 86_400_000), now);
    expect(warning).toContain('in 364 days');
    expect(warning).toContain('palyrad ca rotate');
    expect(caExpiryWarning(at(-1), now)).toMatch(/expired/);
  });

  it('ignores an empty or unreadable date (a daemon older than CA rotation)', () => {
    expect(caExpiryWarning('', now)).toBeUndefined();
  });
});
