/**
 * Where a node certificate is in its life, as operators see it (palyrad nodes list, status,
 * events) and the node itself (palyra-node status). One function, so the daemon and the agent
 * never disagree on a name.
 */
export const CERT_STATES = ['valid', 'renewing', 'expiring', 'expired', 'in_grace'] as const;
export type CertState = (typeof CERT_STATES)[number];

/** Under this fraction of its lifetime left, a certificate is `expiring` (the agent renews at two thirds). */
export const EXPIRING_FRACTION = 1 / 6;

export interface CertTimes {
  /** notBefore (issue time); undefined for records older than renewal: the lifetime is then taken as 30 days. */
  issuedAt?: Date | string | undefined;
  expiresAt: Date | string;
}

const LEGACY_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

function ms(value: Date | string): number {
  return value instanceof Date ? value.getTime() : Date.parse(value);
}

export interface CertStateOptions {
  now: Date;
  /** The daemon issued a newer certificate that the node has not presented yet. */
  renewing?: boolean;
  /** How long after expiry the node may still renew by its identity key (0: no grace). */
  graceMs?: number;
}

/**
 * `expired` past expiry and its grace, `in_grace` past expiry within it, `renewing` while a
 * newer certificate waits to be presented, `expiring` under a sixth of the lifetime left,
 * else `valid`.
 */
export function certState(times: CertTimes, { now, renewing = false, graceMs = 0 }: CertStateOptions): CertState {
  const expiresAt = ms(times.expiresAt);
  const at = now.getTime();
  if (!(expiresAt > at)) return at - expiresAt < graceMs ? 'in_grace' : 'expired';
  if (renewing) return 'renewing';
  const issuedAt = times.issuedAt === undefined ? expiresAt - LEGACY_LIFETIME_MS : ms(times.issuedAt);
  const lifetime = Math.max(expiresAt - issuedAt, 1);
  return expiresAt - at < lifetime * EXPIRING_FRACTION ? 'expiring' : 'valid';
}
