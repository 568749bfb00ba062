/**
 * The one retry-delay formula: exponential (`baseMs` doubling per attempt, at most `maxMs`)
 * with full jitter, so that many clients that lost the same server do not come back in
 * lockstep. `attempt` counts the failures in a row, from 0.
 */
export function backoffDelayMs(attempt: number, { baseMs, maxMs, random = Math.random }: { baseMs: number; maxMs: number; random?: () => number }): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(random() * ceiling);
}

/** backoffDelayMs with the attempt counted for the caller. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 500,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  nextDelayMs(): number {
    const delay = backoffDelayMs(this.attempt, { baseMs: this.baseMs, maxMs: this.maxMs, random: this.random });
    this.attempt = Math.min(this.attempt + 1, 30);
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }
}
