import type { CertState } from '@palyra/shared/renewal';
import type { NodeRecord } from '../registry/types.js';
import { nodeCertState } from './nodeCertState.js';

/** The states that are announced (cert.expiring, cert.expired), in the order a certificate reaches them. */
export type WatchedState = Extract<CertState, 'expiring' | 'in_grace' | 'expired'>;
const RANK: Record<CertState, number> = { valid: 0, renewing: 0, expiring: 1, in_grace: 2, expired: 3 };

export interface CertificateTransition {
  node: Readonly<NodeRecord>;
  state: WatchedState;
  /** When the grace ends (in_grace only). */
  graceEndsAt?: Date;
}

export interface CertificateWatcherOptions {
  /** The registered nodes, read on each sweep (the registry's in-memory rows). */
  nodes: () => Iterable<Readonly<NodeRecord>>;
  graceMs: number;
  onTransition: (transition: CertificateTransition) => void;
  /** Default 30 s: states change over hours (a sixth of a 24 h lifetime is 4 h). */
  intervalMs?: number;
  now?: () => Date;
}

export const DEFAULT_CERT_SWEEP_MS = 30_000;

/**
 * Announces each node certificate reaching `expiring`, `in_grace` and `expired`, once per
 * certificate and state (a renewal or a re-pairing starts over with the new certificate), by
 * sweeping the registry's rows in memory: O(nodes) arithmetic every 30 s, about a millisecond
 * per 10,000 nodes here, no timer per node and nothing to keep in step with renewals.
 *
 * The first sweep (at start) announces certificates already expiring or in their grace, so
 * the log and followers of a restarted daemon hear of them; certificates past their grace at
 * start are only counted (palyrad status), not announced again on every restart.
 */
export class CertificateWatcher {
  /** The highest state announced per device, for its current certificate. */
  private readonly announced = new Map<string, { fingerprint: string; rank: number }>();
  private timer: NodeJS.Timeout | undefined;
  private swept = false;
  private readonly now: () => Date;

  constructor(private readonly options: CertificateWatcherOptions) {
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.sweep();
    this.timer = setInterval(() => this.sweep(), this.options.intervalMs ?? DEFAULT_CERT_SWEEP_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass over every node (public for tests driving a fake clock). */
  sweep(): void {
    const now = this.now();
    const context = { now, graceMs: this.options.graceMs };
    const first = !this.swept;
    this.swept = true;
    const seen = new Set<string>();
    for (const node of this.options.nodes()) {
      seen.add(node.deviceId);
      const state = nodeCertState(node, context);
      const rank = RANK[state];
      const known = this.announced.get(node.deviceId);
      const previousRank = known !== undefined && known.fingerprint === node.certFingerprint ? known.rank : 0;
      if (rank <= previousRank) {
        // A certificate that was renewed, or states that went back (a clock set back), start over.
        if (known !== undefined && known.fingerprint !== node.certFingerprint) this.announced.delete(node.deviceId);
        continue;
      }
      this.announced.set(node.deviceId, { fingerprint: node.certFingerprint, rank });
      if (first && state === 'expired') continue;
      const transition: CertificateTransition = { node, state: state as WatchedState };
      if (state === 'in_grace') transition.graceEndsAt = new Date(Date.parse(node.certExpiresAt) + this.options.graceMs);
      this.options.onTransition(transition);
    }
    // Removed nodes.
    if (this.announced.size > seen.size) for (const deviceId of this.announced.keys()) if (!seen.has(deviceId)) this.announced.delete(deviceId);
  }
}
