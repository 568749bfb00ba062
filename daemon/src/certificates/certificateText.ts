import type { DaemonEvent } from '@palyra/shared/quic/protocol';
import { displayText } from '@palyra/shared/text';

export type CertificateEvent = Extract<DaemonEvent, { type: 'cert.renewed' | 'cert.expiring' | 'cert.expired' }>;

export function isCertificateEvent(event: DaemonEvent): event is CertificateEvent {
  return event.type === 'cert.renewed' || event.type === 'cert.expiring' || event.type === 'cert.expired';
}

/**
 * One line for people (palyrad events, the approvals TUI's events pane) saying what happened
 * to a node's certificate and what to do about it. The node's name is made printable.
 */
export function describeCertificateEvent(event: CertificateEvent): string {
  const node = `${displayText(event.name) || event.deviceId} (${event.deviceId})`;
  switch (event.type) {
    case 'cert.renewed':
      return `certificate of ${node} renewed, valid until ${event.certExpiresAt}`;
    case 'cert.expiring':
      return `certificate of ${node} expiring at ${event.certExpiresAt} and not renewed: palyrad nodes renew ${event.deviceId}, or check the node`;
    case 'cert.expired':
      return event.state === 'in_grace'
        ? `certificate of ${node} expired at ${event.certExpiresAt}: the node can still renew until ${event.graceEndsAt ?? '?'}`
        : `certificate of ${node} expired at ${event.certExpiresAt}, past the renewal grace: the node must pair again`;
  }
}
