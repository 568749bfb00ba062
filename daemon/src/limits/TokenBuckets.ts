/**
 * One token bucket per key (a device id): up to `burst` actions back to back, then one per
 * `refillMs`. What bounds what a node may make the daemon do (health pings, renewals, trust
 * changes). A full bucket is what a missing entry means, so full buckets are dropped whenever
 * the map has doubled since the last sweep: the map holds only keys that acted recently.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  /** Entries after the last sweep (at least 1024): a sweep runs when the map has doubled. */
  private sweepAt = 1024;

  constructor(
    readonly burst: number,
    readonly refillMs: number,
  ) {}

  /**
   * Spends one token of `key` at `nowMs`: 0 when it was there, else how long (ms) until one
   * is (nothing is spent then).
   */
  take(key: string, nowMs: number): number {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, atMs: nowMs };
    bucket.tokens = Math.min(this.burst, bucket.tokens + Math.max(0, nowMs - bucket.atMs) / this.refillMs);
    bucket.atMs = nowMs;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return (1 - bucket.tokens) * this.refillMs;
    bucket.tokens -= 1;
    if (this.buckets.size >= this.sweepAt) this.sweep(nowMs);
    return 0;
  }

  /** Gives back a token taken for an action that did nothing. */
  refund(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket !== undefined) bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
  }

  delete(key: string): void {
    this.buckets.delete(key);
  }

  /** Entries held now. */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(nowMs: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (nowMs - bucket.atMs) / this.refillMs >= this.burst) this.buckets.delete(key);
    }
    this.sweepAt = Math.max(1024, this.buckets.size * 2);
  }
}
