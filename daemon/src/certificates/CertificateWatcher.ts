import { EXPIRING_FRACTION, type CertState } from '@palyra/shared/renewal';
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
 * sweeping the registry's rows in memory every 30 s: per node a map lookup and a comparison
 * with the next time its state can change (the state itself is computed only then), no timer
 * per node and nothing to keep in step with renewals.
 *
 * The first sweep (at start) announces certificates already expiring or in their grace, so
 * the log and followers of a restarted daemon hear of them; certificates past their grace at
 * start are only counted (palyrad status), not announced again on every restart.
 */
export class CertificateWatcher {
  /** Per device, for its current certificate: the highest state announced and when to look again. */
  private readonly tracked = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;
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
    const at = now.getTime();
    const { graceMs } = this.options;
    const first = this.generation === 0;
    const generation = ++this.generation;
    let count = 0;
    for (const node of this.options.nodes()) {
      count += 1;
      let entry = this.tracked.get(node.deviceId);
      if (entry === undefined || entry.fingerprint !== node.certFingerprint) {
        // A new certificate (pairing, renewal, re-pairing): its states start over.
        entry = { fingerprint: node.certFingerprint, rank: 0, nextAt: 0, generation };
        this.tracked.set(node.deviceId, entry);
      }
      entry.generation = generation;
      // Most sweeps end here for most nodes: nothing can have changed before nextAt.
      if (at < entry.nextAt) continue;
      const state = nodeCertState(node, { now, graceMs });
      entry.nextAt = nextTransitionAt(node, at, graceMs);
      const rank = RANK[state];
      if (rank <= entry.rank) continue;
      entry.rank = rank;
      if (first && state === 'expired') continue;
      const transition: CertificateTransition = { node, state: state as WatchedState };
      if (state === 'in_grace') transition.graceEndsAt = new Date(Date.parse(node.certExpiresAt) + graceMs);
      this.options.onTransition(transition);
    }
    // Removed nodes (rare): only then is the map walked.
    if (this.tracked.size > count) {
      for (const [deviceId, entry] of this.tracked) if (entry.generation !== generation) this.tracked.delete(deviceId);
    }
  }
}

interface Tracked {
  fingerprint: string;
  rank: number;
  /** Before this time (ms) the certificate's state cannot have changed. */
  nextAt: number;
  generation: number;
}

/**
 * The next time after `at` when certState can change for this certificate: when it turns
 * expiring (EXPIRING_FRACTION of its lifetime left), expires, or leaves its grace. A renewal
 * changes the fingerprint, which resets the entry, so `renewing` needs no time of its own.
 */
function nextTransitionAt(node: Readonly<NodeRecord>, at: number, graceMs: number): number {
  const expiresAt = Date.parse(node.certExpiresAt);
  const issuedAt = node.certIssuedAt === undefined ? expiresAt - LEGACY_LIFETIME_MS : Date.parse(node.certIssuedAt);
  const lifetime = Math.max(expiresAt - issuedAt, 1);
  for (const candidate of [expiresAt - lifetime * EXPIRING_FRACTION, expiresAt, expiresAt + graceMs]) {
    if (candidate > at) return candidate;
  }
  return Number.POSITIVE_INFINITY;
}

/** certState's lifetime for records older than renewal (no certIssuedAt). */
const LEGACY_LIFETIME_MS = 30 * 24 * 60 * 60_000;
