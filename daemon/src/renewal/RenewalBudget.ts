import { PalyraError } from '@palyra/shared/errors';

/** How many certificates one node may have issued by renewal, as a token bucket. */
export interface RenewalRate {
  /** Renewals a node may make back to back (a lost issuance, RenewNow, a CA rotation). */
  burst: number;
  /** Renewals a node regains per certificate lifetime (--cert-validity), spread evenly. */
  perLifetime: number;
}

/**
 * An agent renews once per lifetime (at two thirds), a few times more when an issuance is
 * lost or an operator asks; a node that renews in a loop is broken or compromised.
 */
export const DEFAULT_RENEWAL_RATE: RenewalRate = { burst: 6, perLifetime: 12 };

/**
 * Each renewal signs a certificate (CPU), writes the store and deny-lists the certificate it
 * supersedes until that one expires: without a budget one node holding valid credentials
 * could grow the deny list (and the store) without bound within a lifetime. Taken only after
 * the node proved its identity key, so nobody else can spend a node's budget. At most one
 * entry per node that renewed (devices that passed the signature check are registered); full
 * buckets are dropped whenever the map doubled since the last sweep (removed nodes too).
 */
export class RenewalBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly refillMs: number;
  /** Entries after the last sweep (at least 1024): a sweep runs when the map has doubled. */
  private sweepAt = 1024;

  constructor(
    private readonly rate: RenewalRate,
    lifetimeMs: number,
    private readonly now: () => Date,
  ) {
    for (const [name, value] of Object.entries(rate)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the renewal rate (${name}) must be a positive integer, got ${String(value)}`);
      }
    }
    this.refillMs = Math.max(1_000, lifetimeMs / rate.perLifetime);
  }

  /** Spends one renewal of `deviceId`; PALYRA_E_RENEWAL_BUSY (saying when to retry) when none is left. */
  take(deviceId: string): void {
    const now = this.now().getTime();
    const bucket = this.buckets.get(deviceId) ?? { tokens: this.rate.burst, at: now };
    const tokens = Math.min(this.rate.burst, bucket.tokens + Math.max(0, now - bucket.at) / this.refillMs);
    if (tokens < 1) {
      const retryInS = Math.ceil(((1 - tokens) * this.refillMs) / 1000);
      throw new PalyraError(
        'PALYRA_E_RENEWAL_BUSY',
        `node ${deviceId} renewed its certificate ${this.rate.burst} times recently: retry in ${retryInS} s`,
        { details: { retryAfterMs: retryInS * 1000 } },
      );
    }
    this.buckets.set(deviceId, { tokens: tokens - 1, at: now });
    if (this.buckets.size >= this.sweepAt) this.sweep(now);
  }

  /** Entries held now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Drops the buckets that are full again (a full bucket is what a missing entry means). */
  private sweep(now: number): void {
    for (const [deviceId, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) / this.refillMs >= this.rate.burst) this.buckets.delete(deviceId);
    }
    this.sweepAt = Math.max(1024, this.buckets.size * 2);
  }

  /** Gives back a renewal that issued nothing (signing or recording it failed). */
  refund(deviceId: string): void {
    const bucket = this.buckets.get(deviceId);
    if (bucket !== undefined) bucket.tokens = Math.min(this.rate.burst, bucket.tokens + 1);
  }
}
