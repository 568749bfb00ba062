import { CERT_BACKDATE_MS, parseCertificate } from '@palyra/shared/x509';

/** The agent renews at this fraction of its certificate's lifetime (the "two thirds"). */
export const RENEW_AT_FRACTION = 2 / 3;
/**
 * Jitter around that point, as a fraction of the lifetime (here +-5%): a fleet paired or
 * renewed at the same moment must not come back at the same moment every cycle. It stays
 * well before `expiring` (5/6).
 */
export const RENEW_JITTER_FRACTION = 1 / 20;

export interface CertWindow {
  notBefore: Date;
  notAfter: Date;
}


/**
 * The lifetime window of a PEM certificate: notAfter, and notBefore without the issuer's
 * backdating (CERT_BACKDATE_MS) when the span holds it (a span shorter than the backdate was
 * not backdated so). The backdate is not lifetime: with `--cert-validity 1m` the certificate
 * spans 6 minutes, and two thirds of that is already behind the node when it receives it (it
 * would renew in a loop).
 */
export function certWindow(certPem: string): CertWindow {
  const parsed = parseCertificate(certPem);
  const span = parsed.notAfter.getTime() - parsed.notBefore.getTime();
  const start = span > CERT_BACKDATE_MS ? parsed.notBefore.getTime() + CERT_BACKDATE_MS : parsed.notBefore.getTime();
  return { notBefore: new Date(start), notAfter: parsed.notAfter };
}

/**
 * When to renew a certificate: at two thirds of notBefore..notAfter, moved by a jitter drawn
 * with `random` (0..1, Math.random by default; tests inject their own).
 */
export function renewalDueAt({ notBefore, notAfter }: CertWindow, random: () => number = Math.random): Date {
  const lifetime = Math.max(notAfter.getTime() - notBefore.getTime(), 0);
  const jitter = (random() * 2 - 1) * RENEW_JITTER_FRACTION;
  return new Date(notBefore.getTime() + Math.round(lifetime * (RENEW_AT_FRACTION + jitter)));
}

/** Expired at `now` (TLS refuses it: only the grace path can renew it). */
export function isExpired({ notAfter }: CertWindow, now: Date): boolean {
  return notAfter.getTime() <= now.getTime();
}

/**
 * How long to wait before retrying a failed renewal: the backoff's delay, but never more
 * than a quarter of the time the certificate has left (a 1-minute certificate gets several
 * tries in its last third, a 24-hour one is not retried every second), and at least 1 s.
 */
export function retryDelayMs(backoffMs: number, window: CertWindow, now: Date): number {
  const left = window.notAfter.getTime() - now.getTime();
  const cap = left > 0 ? left / 4 : backoffMs;
  return Math.max(1_000, Math.round(Math.min(backoffMs, cap)));
}
