/**
 * The server certificate is renewed once less than a third of its lifetime (notBefore to
 * notAfter) is left: four months ahead for the default year, with room for many failed
 * attempts before nodes would see an expired certificate.
 */
export const SERVER_RENEW_AT_FRACTION_LEFT = 1 / 3;

/** Whether a server certificate valid from `notBefore` to `notAfter` is due for renewal at `now`. */
export function serverCertificateDue(times: { notBefore: Date; notAfter: Date }, now: Date): boolean {
  const lifetime = Math.max(times.notAfter.getTime() - times.notBefore.getTime(), 1);
  return times.notAfter.getTime() - now.getTime() < lifetime * SERVER_RENEW_AT_FRACTION_LEFT;
}

/**
 * How far notBefore is back-dated (clock skew of nodes): BACKDATE_MS, but at most a quarter of
 * a short lifetime (tests), or the back-dating alone would make the certificate look due.
 */
export function serverBackdateMs(validityMs: number, backdateMs: number): number {
  return Math.min(backdateMs, Math.floor(validityMs / 4));
}
