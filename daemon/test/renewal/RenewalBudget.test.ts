import { describe, expect, it } from 'vitest';
import type { PalyraError } from '@palyra/shared/errors';
import { RenewalBudget } from '../../src/renewal/RenewalBudget.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

function refusal(fn: () => void): PalyraError | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error as PalyraError;
  }
}

describe('RenewalBudget', () => {
  it('allows a burst, then one renewal per lifetime/perLifetime, per node (injected clock)', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const budget = new RenewalBudget({ burst: 3, perLifetime: 12 }, DAY, () => new Date(now));
    for (let i = 0; i < 3; i += 1) budget.take('A');
    const busy = refusal(() => budget.take('A'));
    expect(busy?.code).toBe('PALYRA_E_RENEWAL_BUSY');
    expect(busy?.message).toMatch(/retry in 7200 s/);
    // Another node has its own budget.
    budget.take('B');
    now += 2 * 60 * MINUTE;
    budget.take('A');
    expect(refusal(() => budget.take('A'))?.code).toBe('PALYRA_E_RENEWAL_BUSY');
    // A refund (nothing was issued) gives one back.
    budget.refund('A');
    budget.take('A');
  });

  it('stays bounded: buckets that are full again are dropped as the map grows', () => {
    let now = 0;
    const budget = new RenewalBudget({ burst: 2, perLifetime: 12 }, 12 * MINUTE, () => new Date(now));
    for (let i = 0; i < 5_000; i += 1) {
      budget.take(`node-${i}`);
      now += 1_000;
    }
    // Each bucket is full again 1 minute after its renewal: only the last minute's are kept (and what a sweep left).
    expect(budget.size).toBeLessThan(2_100);
  });
});
