import { PalyraError, type ErrorCode } from '@palyra/shared/errors';
import type { PluginLogger } from '@palyra/shared/plugins';
import { Backoff } from '@palyra/shared/timing';
import { wallNow } from '../clock/wallClock.js';
import type { NodeIdentity } from '../identity/index.js';
import type { IdentityKeeper } from './IdentityKeeper.js';
import { renewCertificate, type RenewalPath } from './renewCertificate.js';
import { certWindow, renewalDueAt, retryDelayMs, type CertWindow } from './renewalSchedule.js';

/** Refusals no retry can fix: the node must be paired again. */
export const PAIR_AGAIN_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['PALYRA_E_CERT_EXPIRED', 'PALYRA_E_NODE_REVOKED', 'PALYRA_E_RENEWAL_REFUSED']);

/** Timers never wait longer than this: the schedule is recomputed (long lifetimes, a clock that jumped). */
const MAX_WAIT_MS = 60 * 60 * 1000;

export interface LastRenewal {
  at: string;
  result: 'renewed' | 'failed';
  path: RenewalPath;
  /** The error code and message of a failure. */
  errorCode?: string;
  error?: string;
}

export interface RenewalStatus {
  certExpiresAt: string;
  /** When the next renewal is due (or the next retry); null once the node must pair again. */
  nextRenewalAt: string | null;
  renewing: boolean;
  lastRenewal: LastRenewal | null;
}

export interface RenewalManagerOptions {
  keeper: IdentityKeeper;
  pinnedFingerprint?: string;
  logger: PluginLogger;
  /** The node's clock (default: wallNow, with its test offset). */
  now?: () => Date;
  /** For the jitter and the backoff (default Math.random). */
  random?: () => number;
  /** Retry backoff: 1 s doubling up to 5 min by default (and at most a quarter of the time left). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** The certificate expired while in use (renewal never succeeded): close the Session and QUIC now. */
  onExpired?: (message: string) => void;
  onStatus?: (status: RenewalStatus) => void;
  onRenewed?: (info: { path: RenewalPath; certExpiresAt: string; reason: string }) => void;
}

/**
 * The agent's certificate schedule: renews at two thirds of the lifetime (with jitter), at
 * once when started past that point, over the grace path when the certificate expired, and
 * whenever the daemon pushes RenewNow. Failures are retried with backoff; a refusal only
 * pairing can fix (PAIR_AGAIN_CODES) ends run() with that error. Each renewal is stored in
 * the vault, then switched to (IdentityKeeper): the connections reconnect with it.
 *
 * It also enforces expiry on this node's own connections: when the certificate in use passes
 * its notAfter (every renewal failed), onExpired closes the Session and QUIC at once, and the
 * connection waits (ensureUsable) until the grace path brought a new certificate.
 */
export class RenewalManager {
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly backoff: Backoff;
  private due: { certPem: string; at: Date } | undefined;
  private retryAt: Date | undefined;
  private requested: string | undefined;
  private renewing = false;
  private last: LastRenewal | null = null;
  private fatal: PalyraError | undefined;
  private readonly wakers = new Set<() => void>();
  private expiryTimer: { certPem: string; timer: NodeJS.Timeout } | undefined;

  constructor(private readonly options: RenewalManagerOptions) {
    this.now = options.now ?? (() => new Date(wallNow()));
    this.random = options.random ?? Math.random;
    this.backoff = new Backoff(options.backoffBaseMs ?? 1_000, options.backoffMaxMs ?? 5 * 60_000, this.random);
    options.keeper.holder.onChange(() => this.wake());
  }

  private get identity(): NodeIdentity {
    return this.options.keeper.holder.current;
  }

  /** Renew as soon as possible (the daemon's RenewNow, an expired certificate). */
  requestNow(reason: string): void {
    if (this.requested === undefined) this.requested = reason;
    this.wake();
  }

  /** What `palyra-node status` shows. */
  get status(): RenewalStatus {
    return {
      certExpiresAt: this.identity.certExpiresAt,
      nextRenewalAt: this.fatal !== undefined ? null : (this.retryAt ?? this.due?.at)?.toISOString() ?? null,
      renewing: this.renewing,
      lastRenewal: this.last,
    };
  }

  /**
   * Resolves when the current certificate can be used to connect (not expired on this node's
   * clock); while it cannot, asks for a (grace) renewal and waits for it. Rejects with the
   * pair-again error once renewal gave up.
   */
  async ensureUsable(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.fatal !== undefined) throw this.fatal;
      if (Date.parse(this.identity.certExpiresAt) > this.now().getTime()) return;
      this.requestNow('the certificate expired');
      await this.sleep(MAX_WAIT_MS, signal);
    }
  }

  /**
   * Renews now and resolves once the identity in use changed (the daemon refused the
   * certificate: an expiry this node's clock did not see, a lost renewal). Rejects with the
   * pair-again error when the daemon refuses the renewal too.
   */
  async renewAndWait(reason: string, signal: AbortSignal): Promise<void> {
    const before = this.identity.certPem;
    this.requestNow(reason);
    while (!signal.aborted) {
      if (this.fatal !== undefined) throw this.fatal;
      if (this.identity.certPem !== before) return;
      await this.sleep(MAX_WAIT_MS, signal);
    }
  }

  async run({ signal }: { signal: AbortSignal }): Promise<void> {
    try {
      while (!signal.aborted) {
        const identity = this.identity;
        const window = certWindow(identity.certPem);
        if (this.due?.certPem !== identity.certPem) {
          this.due = { certPem: identity.certPem, at: renewalDueAt(window, this.random) };
          this.retryAt = undefined;
          this.backoff.reset();
        }
        this.armExpiry(identity, window);
        const now = this.now();
        const next = this.retryAt ?? this.due.at;
        if (this.requested === undefined && now < next) {
          this.publish();
          await this.sleep(Math.min(next.getTime() - now.getTime(), MAX_WAIT_MS), signal);
          continue;
        }
        const reason = this.requested ?? (this.retryAt !== undefined ? 'retry' : 'two thirds of its lifetime passed');
        this.requested = undefined;
        await this.attempt(identity, window, reason, signal);
      }
    } finally {
      if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer.timer);
      this.expiryTimer = undefined;
    }
  }

  private async attempt(identity: NodeIdentity, window: CertWindow, reason: string, signal: AbortSignal): Promise<void> {
    const now = this.now();
    const path: RenewalPath = window.notAfter.getTime() <= now.getTime() ? 'grace' : 'mtls';
    const { logger } = this.options;
    this.renewing = true;
    this.publish();
    try {
      logger.info('renewing the node certificate', { path, reason, certExpiresAt: identity.certExpiresAt });
      const renewed = await renewCertificate({
        identity,
        path,
        now: this.now,
        signal,
        ...(this.options.pinnedFingerprint === undefined ? {} : { pinnedFingerprint: this.options.pinnedFingerprint }),
      });
      await this.options.keeper.switchTo(renewed, identity);
      // Whatever asked for a renewal meanwhile (the expiry, RenewNow) is answered by this one.
      this.requested = undefined;
      this.last = { at: this.now().toISOString(), result: 'renewed', path };
      this.retryAt = undefined;
      this.backoff.reset();
      logger.info('renewed the node certificate; reconnecting with it', { path, certExpiresAt: renewed.certExpiresAt, trustBundleChanged: renewed.caBundlePem !== undefined });
      this.options.onRenewed?.({ path, certExpiresAt: renewed.certExpiresAt, reason });
    } catch (error) {
      if (signal.aborted) return;
      const failure = PalyraError.from(error);
      this.last = { at: this.now().toISOString(), result: 'failed', path, errorCode: failure.code, error: failure.message };
      if (PAIR_AGAIN_CODES.has(failure.code)) {
        // The refusal is about the certificate this attempt renewed from. If that is no longer
        // the one in use (the connection fell back meanwhile), or a previous one is kept that
        // the daemon may still know (it lost the renewal: a restored backup), renew from that
        // before telling the operator to pair again.
        if (this.identity.certPem !== identity.certPem || (await this.options.keeper.fallBack(this.now()))) {
          logger.warn('certificate renewal refused for a certificate the daemon does not accept; renewing from the one it knows', { code: failure.code, path });
          return;
        }
        this.fatal = new PalyraError(
          failure.code,
          `${failure.message}: this node cannot renew its certificate; pair it again (palyra-node leave, then palyra-node join --pin <PIN> --daemon ${identity.daemonAddress})`,
          { cause: failure },
        );
        logger.error('certificate renewal refused for good', { code: failure.code, path });
        this.wake();
        throw this.fatal;
      }
      const delay = retryDelayMs(this.backoff.nextDelayMs(), window, this.now());
      this.retryAt = new Date(this.now().getTime() + delay);
      logger.warn('certificate renewal failed; retrying', { code: failure.code, error: failure.message, path, retryInMs: delay });
    } finally {
      this.renewing = false;
      this.publish();
    }
  }

  /** A timer at the certificate's notAfter: if it is still the one in use then, the connections are closed. */
  private armExpiry(identity: NodeIdentity, window: CertWindow): void {
    if (this.expiryTimer?.certPem === identity.certPem) return;
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer.timer);
    // Expired already (the node was off): nothing to close, the grace path is next anyway.
    const inUse = window.notAfter.getTime() > this.now().getTime();
    const wait = Math.max(0, Math.min(window.notAfter.getTime() - this.now().getTime(), MAX_WAIT_MS));
    const timer = setTimeout(() => {
      if (this.identity.certPem !== identity.certPem) return;
      if (window.notAfter.getTime() > this.now().getTime()) {
        // Early (a long wait is cut in hours): arm again. Once fired it stays armed for this
        // certificate, so the run loop does not arm (and fire) it again.
        this.expiryTimer = undefined;
        this.armExpiry(identity, window);
        return;
      }
      this.requestNow('the certificate expired');
      if (!inUse) return;
      const why = this.last?.result === 'failed' ? ` (last renewal failed: ${this.last.errorCode ?? ''} ${this.last.error ?? ''})` : '';
      this.options.onExpired?.(`this node's certificate expired at ${window.notAfter.toISOString()}${why}: closing the session and QUIC; renewing over the grace path`);
    }, wait);
    timer.unref();
    this.expiryTimer = { certPem: identity.certPem, timer };
  }

  private publish(): void {
    this.options.onStatus?.(this.status);
  }

  private wake(): void {
    for (const waker of [...this.wakers]) waker();
  }

  /** Waits `ms`, or until woken (a request, an identity change, a fatal refusal) or aborted. */
  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wakers.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
