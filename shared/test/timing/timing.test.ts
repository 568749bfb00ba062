import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelayMs, sleep } from '../../src/timing/index.js';

describe('backoffDelayMs: the one retry-delay formula', () => {
  it('doubles from the base up to the cap, scaled by the jitter draw', () => {
    const top = (attempt: number): number => backoffDelayMs(attempt, { baseMs: 500, maxMs: 5_000, random: () => 1 });
    expect([0, 1, 2, 3, 4, 50].map(top)).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(backoffDelayMs(3, { baseMs: 500, maxMs: 5_000, random: () => 0.25 })).toBe(1_000);
    expect(backoffDelayMs(3, { baseMs: 500, maxMs: 5_000, random: () => 0 })).toBe(0);
  });

  it('Backoff counts the attempts and starts over on reset', () => {
    const backoff = new Backoff(100, 1_000, () => 1);
    expect([backoff.nextDelayMs(), backoff.nextDelayMs(), backoff.nextDelayMs()]).toEqual([100, 200, 400]);
    backoff.reset();
    expect(backoff.nextDelayMs()).toBe(100);
  });
});

describe('sleep', () => {
  it('resolves at once when the signal aborts, and for an already aborted signal', async () => {
    const controller = new AbortController();
    const sleeping = sleep(3_600_000, controller.signal);
    controller.abort();
    await expect(sleeping).resolves.toBeUndefined();
    await expect(sleep(3_600_000, AbortSignal.abort())).resolves.toBeUndefined();
  });
});
