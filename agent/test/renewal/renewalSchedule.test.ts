import { describe, expect, it } from 'vitest';
import { RENEW_AT_FRACTION, RENEW_JITTER_FRACTION, isExpired, renewalDueAt, retryDelayMs } from '../../src/renewal/renewalSchedule.js';

const HOUR = 60 * 60 * 1000;
const notBefore = new Date('2026-01-01T00:00:00.000Z');
const day = { notBefore, notAfter: new Date(notBefore.getTime() + 24 * HOUR) };
const minute = { notBefore, notAfter: new Date(notBefore.getTime() + 60_000) };

describe('renewal schedule', () => {
  it('renews at two thirds of the lifetime, moved by at most the jitter either way', () => {
    expect(renewalDueAt(day, () => 0.5).toISOString()).toBe('2026-01-01T16:00:00.000Z');
    const earliest = renewalDueAt(day, () => 0).getTime() - notBefore.getTime();
    const latest = renewalDueAt(day, () => 1).getTime() - notBefore.getTime();
    expect(earliest).toBe(Math.round(24 * HOUR * (RENEW_AT_FRACTION - RENEW_JITTER_FRACTION)));
    expect(latest).toBe(Math.round(24 * HOUR * (RENEW_AT_FRACTION + RENEW_JITTER_FRACTION)));
    // Still well before `expiring` (the last sixth), whatever the draw.
    expect(latest).toBeLessThan(24 * HOUR * (5 / 6));
  });

  it('spreads a fleet paired at the same moment', () => {
    let seed = 1;
    const random = (): number => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const due = new Set(Array.from({ length: 100 }, () => renewalDueAt(day, random).getTime()));
    expect(due.size).toBeGreaterThan(90);
  });

  it('is scaled to the lifetime: a 1-minute certificate renews at about 40 s', () => {
    expect(renewalDueAt(minute, () => 0.5).getTime() - notBefore.getTime()).toBe(40_000);
  });

  it('knows an expired certificate at the injected time', () => {
    expect(isExpired(minute, new Date(minute.notAfter.getTime() - 1))).toBe(false);
    expect(isExpired(minute, minute.notAfter)).toBe(true);
  });

  it('retries with the backoff, capped at a quarter of the time left and at least 1 s', () => {
    const at = (msBeforeExpiry: number): Date => new Date(day.notAfter.getTime() - msBeforeExpiry);
    expect(retryDelayMs(30_000, day, at(8 * HOUR))).toBe(30_000);
    expect(retryDelayMs(5 * 60_000, day, at(8 * 60_000))).toBe(2 * 60_000);
    expect(retryDelayMs(5 * 60_000, minute, new Date(minute.notAfter.getTime() - 2_000))).toBe(1_000);
    // Expired (the grace path): the backoff alone.
    expect(retryDelayMs(10_000, minute, new Date(minute.notAfter.getTime() + 5_000))).toBe(10_000);
  });
});
