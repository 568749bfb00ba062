import { toServiceError } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { Logger, RateLimitedLog } from '@palyra/shared/logging';
import type { CertificateAuthority } from '../ca/index.js';
import type { NodeRegistry } from '../registry/index.js';
import { PeerLimiter, peerAddress, type PeerLimits } from '../rpc/PeerLimiter.js';
import { RenewalAttempt, type RenewalCall } from './RenewalAttempt.js';
import { DEFAULT_RENEWAL_RATE, RenewalBudget, type RenewalRate } from './RenewalBudget.js';

/**
 * RenewCertificate streams held at once. A renewal takes one round trip and a signature
 * (milliseconds), so these only bound a peer that opens streams and stalls; a fleet behind
 * one NAT renews spread over hours (at two thirds of the lifetime, with jitter).
 */
export const DEFAULT_RENEWAL_LIMITS: PeerLimits = { total: 512, perAddress: 32 };
/** A renewal stream that has not finished by then is ended (PALYRA_E_TIMEOUT). */
export const DEFAULT_RENEWAL_TIMEOUT_MS = 30_000;
/** How long after expiry a node may still renew by its identity key (--renewal-grace). */
export const DEFAULT_RENEWAL_GRACE_MS = 30 * 24 * 60 * 60 * 1000;

export interface RenewalServiceDeps {
  registry: NodeRegistry;
  ca: Pick<CertificateAuthority, 'checkRenewalCsr' | 'signNodeCsr'>;
  /** Lifetime of the certificates renewals issue (--cert-validity). */
  certValidityMs: number;
  /** --renewal-grace; 0 refuses every renewal without a valid client certificate. */
  renewalGraceMs: number;
  /** The CAs nodes must trust, sent with each issued certificate (a CA rotation makes it two). */
  caBundlePem: () => string;
  /** Streams held at once in total and per address (default DEFAULT_RENEWAL_LIMITS). */
  limits?: PeerLimits;
  /** Deadline of one stream, from open to issued (default DEFAULT_RENEWAL_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Renewals one node may make (default DEFAULT_RENEWAL_RATE, per certValidityMs). */
  rate?: RenewalRate;
  now?: () => Date;
  /** Renewals are logged here (device, path, fingerprints, expiry: never a key or a signature). */
  logger?: Logger;
  /** Refusals (a peer can trigger them at will) go through it, when given, instead of `logger`. */
  peerLog?: RateLimitedLog;
}

/**
 * NodeService.RenewCertificate (see RenewalAttempt for the checks). Bounded like pairing:
 * streams in flight in total and per remote address (refused with PALYRA_E_RENEWAL_BUSY before
 * anything is allocated), and a deadline per stream.
 */
export function createRenewCertificateHandler(deps: RenewalServiceDeps): (call: RenewalCall) => void {
  const now = deps.now ?? (() => new Date());
  const streams = new PeerLimiter(deps.limits ?? DEFAULT_RENEWAL_LIMITS, 'certificate renewal');
  const timeoutMs = deps.timeoutMs ?? DEFAULT_RENEWAL_TIMEOUT_MS;
  const budget = new RenewalBudget(deps.rate ?? DEFAULT_RENEWAL_RATE, deps.certValidityMs, now);
  return (call) => {
    const admission = streams.admit(peerAddress(call.getPeer()));
    if (!admission.ok) {
      const perAddress = admission.limit === 'perAddress';
      const message = perAddress
        ? `this address already has ${streams.limits.perAddress} certificate renewals in progress: retry when one finishes`
        : `the daemon has its maximum of ${streams.limits.total} certificate renewals in progress: retry later`;
      const fields = { remoteAddress: admission.address, held: admission.held };
      if (deps.peerLog !== undefined) deps.peerLog.note('warn', perAddress ? 'renewal-cap-per-address' : 'renewal-cap-total', fields, `refused a certificate renewal: ${message}`);
      else deps.logger?.warn(fields, `refused a certificate renewal: ${message}`);
      call.emit('error', toServiceError(new PalyraError('PALYRA_E_RENEWAL_BUSY', message)));
      return;
    }
    for (const event of ['close', 'cancelled', 'error', 'finish']) call.once(event, admission.release);
    new RenewalAttempt(call, deps, now, timeoutMs, budget).start();
  };
}
