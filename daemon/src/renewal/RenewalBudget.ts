import { PalyraError } from '@palyra/shared/errors';
import { TokenBuckets } from '../limits/TokenBuckets.js';

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
 * entry per node that renewed recently (devices that passed the signature check are
 * registered; see TokenBuckets).
 */
export class RenewalBudget {
  private readonly buckets: TokenBuckets;

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
    this.buckets = new TokenBuckets(rate.burst, Math.max(1_000, lifetimeMs / rate.perLifetime));
  }

  /** Spends one renewal of `deviceId`; PALYRA_E_RENEWAL_BUSY (saying when to retry) when none is left. */
  take(deviceId: string): void {
    const waitMs = this.buckets.take(deviceId, this.now().getTime());
    if (waitMs > 0) {
      const retryInS = Math.ceil(waitMs / 1000);
      throw new PalyraError(
        'PALYRA_E_RENEWAL_BUSY',
        `node ${deviceId} renewed its certificate ${this.rate.burst} times recently: retry in ${retryInS} s`,
        { details: { retryAfterMs: retryInS * 1000 } },
      );
    }
  }

  /** Entries held now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Gives back a renewal that issued nothing (signing or recording it failed). */
  refund(deviceId: string): void {
    this.buckets.refund(deviceId);
  }
}
