import { certState, type CertState } from '@palyra/shared/renewal';
import { wallNow } from '../clock/wallClock.js';
import type { NodeIdentity } from '../identity/index.js';
import { certWindow } from '../renewal/renewalSchedule.js';
import { trustedCaFingerprints } from '../renewal/trustBundle.js';
import type { RuntimeStatusDocument } from './RuntimeStatus.js';

export interface CertificateStatus {
  state: CertState;
  issuedAt: string | null;
  trustedCaFingerprints: string[];
  /** What `palyra-node status` prints about it. */
  lines: string[];
}

/**
 * The node certificate as `palyra-node status` shows it: its state by the shared certState
 * (an expired certificate says "expired", never "valid until" a past date), the next renewal
 * and the last renewal's result from the running agent. The node does not know the daemon's
 * grace, so past notAfter it is `expired` here.
 */
export function describeCertificate(identity: NodeIdentity, running: RuntimeStatusDocument | null, now = new Date(wallNow())): CertificateStatus {
  let issuedAt: string | null = null;
  try {
    issuedAt = certWindow(identity.certPem).notBefore.toISOString();
  } catch {
    // Shown without its lifetime (certState then assumes the old 30 days).
  }
  const state = certState({ issuedAt: issuedAt ?? undefined, expiresAt: identity.certExpiresAt }, { now, renewing: running?.renewing === true });
  let trusted: string[] = [];
  try {
    trusted = trustedCaFingerprints(identity.caCertPem);
  } catch {
    trusted = [];
  }
  const lines: string[] = [];
  switch (state) {
    case 'expired':
      lines.push(`cert    EXPIRED at ${identity.certExpiresAt}: the running agent renews it over the grace path; past the daemon's grace, pair again`);
      break;
    case 'expiring':
      lines.push(`cert    expiring: valid until ${identity.certExpiresAt} (under a sixth of its lifetime left)`);
      break;
    case 'renewing':
      lines.push(`cert    renewing: valid until ${identity.certExpiresAt}`);
      break;
    default:
      lines.push(`cert    valid until ${identity.certExpiresAt}`);
  }
  if (running !== null) {
    const next = running.nextRenewalAt ?? null;
    const last = running.lastRenewal ?? null;
    const lastText =
      last === null
        ? 'none since the agent started'
        : last.result === 'renewed'
          ? `renewed at ${last.at} (${last.path})`
          : `FAILED at ${last.at} (${last.path}): ${last.errorCode ?? ''} ${last.error ?? ''}`.trimEnd();
    lines.push(`renewal next ${next ?? 'none (the node must pair again)'}; last ${lastText}`);
  }
  if (trusted.length > 1) lines.push(`trust   ${trusted.length} CAs: ${trusted.join(', ')}`);
  return { state, issuedAt, trustedCaFingerprints: trusted, lines };
}
