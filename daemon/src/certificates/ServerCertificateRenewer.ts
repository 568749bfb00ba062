import { RateLimitedLog, type Logger } from '@palyra/shared/logging';
import { PalyraError } from '@palyra/shared/errors';
import type { CertificateAuthority } from '../ca/CertificateAuthority.js';
import { serverCertificateDue } from '../ca/serverCertificateDue.js';
import type { ServerCertificate } from '../ca/types.js';

/** Default period of the check: the default certificate lives a year and is renewed four months ahead. */
export const DEFAULT_SERVER_CERT_CHECK_MS = 60 * 60_000;

export interface ServerCertificateRenewerOptions {
  ca: Pick<CertificateAuthority, 'ensureServerCertificate'>;
  /** The hosts the certificate covers (as at start). */
  hosts: readonly string[];
  /** The certificate the listeners serve now. */
  current: ServerCertificate;
  /** Lifetime of new certificates (tests: seconds); default the CA's year. */
  validityMs?: number;
  /** Puts a new key and certificate into every listener (gRPC, QUIC) without a restart. */
  install: (certificate: ServerCertificate) => void;
  intervalMs?: number;
  now?: () => Date;
  logger?: Logger;
}

/**
 * Keeps the daemon's TLS server certificate fresh while it runs: checks it every
 * `intervalMs` and, once less than a third of its lifetime is left, has the CA issue a new key
 * and certificate (written to the state dir, so a restart serves it too) and installs them.
 * New handshakes see the new certificate; connections already up are not touched.
 */
export class ServerCertificateRenewer {
  private certificate: ServerCertificate;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;
  private readonly failures: RateLimitedLog | undefined;
  private readonly now: () => Date;

  constructor(private readonly options: ServerCertificateRenewerOptions) {
    this.certificate = options.current;
    this.now = options.now ?? (() => new Date());
    this.failures = options.logger === undefined ? undefined : new RateLimitedLog({ logger: options.logger });
  }

  /** The certificate served now. */
  get current(): ServerCertificate {
    return this.certificate;
  }

  /**
   * Serves `certificate` from now on (a CA rotation switched the server certificate to the new
   * CA): installed into every listener; later renewals renew it (from the same CA).
   */
  replace(certificate: ServerCertificate): void {
    const old = this.certificate;
    this.options.install(certificate);
    this.certificate = certificate;
    this.options.logger?.info(
      { certFingerprint: certificate.fingerprint, certExpiresAt: certificate.notAfter.toISOString(), previousCertFingerprint: old.fingerprint },
      'server certificate replaced: new connections get the new one, open ones keep theirs',
    );
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.check(), this.options.intervalMs ?? DEFAULT_SERVER_CERT_CHECK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    this.failures?.stop();
  }

  /** Renews when due; true when a new certificate was installed. Never rejects (failures are logged and retried next time). */
  check(): Promise<boolean> {
    this.running ??= this.renewIfDue().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async renewIfDue(): Promise<boolean> {
    const old = this.certificate;
    if (!serverCertificateDue(old, this.now())) return false;
    try {
      const renewed = await this.options.ca.ensureServerCertificate({
        hosts: this.options.hosts,
        force: true,
        ...(this.options.validityMs === undefined ? {} : { validityMs: this.options.validityMs }),
      });
      this.options.install(renewed);
      this.certificate = renewed;
      this.options.logger?.info(
        { certFingerprint: renewed.fingerprint, certExpiresAt: renewed.notAfter.toISOString(), previousCertFingerprint: old.fingerprint, previousCertExpiresAt: old.notAfter.toISOString() },
        'server certificate renewed: new connections get the new one, open ones keep theirs',
      );
      return true;
    } catch (error) {
      const failure = PalyraError.from(error);
      this.failures?.note('error', 'server certificate renewal', { code: failure.code, error: failure.message, certExpiresAt: old.notAfter.toISOString() }, 'server certificate renewal failed: retried at the next check');
      return false;
    }
  }
}
