import type { Dispatch } from '../dispatch/index.js';
import type { NodeRegistry } from '../registry/index.js';
import type { LiveSession, SessionManager } from '../sessions/SessionManager.js';
import type { DaemonEvent } from '@palyra/shared/quic';
import type { CertificateTransition } from '../certificates/CertificateWatcher.js';
import type { DaemonEvents } from './DaemonEvents.js';

/** Publishes a new dispatch's states (queued, sent, running, then its final status) on the bus. */
export function publishDispatchEvents(events: DaemonEvents, dispatch: Dispatch): void {
  const base = { deviceId: dispatch.deviceId, dispatchId: dispatch.id, capability: dispatch.capability };
  events.publish({ type: 'dispatch.state', at: new Date().toISOString(), ...base, state: dispatch.state });
  dispatch.subscribe((event) => {
    if (event.type === 'state') {
      events.publish({ type: 'dispatch.state', at: new Date().toISOString(), ...base, state: event.state });
    } else if (event.type === 'result') {
      events.publish({ type: 'dispatch.state', at: new Date().toISOString(), ...base, state: event.result.status, error: event.result.error });
    }
  });
}

/** Publishes nodes going online/offline and pairing requests changing. Returns the unwiring. */
export function wireDaemonEvents(events: DaemonEvents, sessions: SessionManager, registry: NodeRegistry): () => void {
  const nodeEvent = (type: 'node.online' | 'node.offline') => (session: LiveSession) => {
    events.publish({ type, at: new Date().toISOString(), deviceId: session.deviceId, name: registry.getNode(session.deviceId)?.name ?? '' });
  };
  const online = nodeEvent('node.online');
  const offline = nodeEvent('node.offline');
  sessions.on('online', online);
  sessions.on('offline', offline);
  const stopRequests = registry.onRequestChange((request) => {
    events.publish({
      type: 'pairing.request',
      at: new Date().toISOString(),
      requestId: request.requestId,
      deviceId: request.deviceId,
      name: request.name,
      platform: request.platform,
      state: request.state,
    });
  });
  return () => {
    sessions.off('online', online);
    sessions.off('offline', offline);
    stopRequests();
  };
}

/**
 * Publishes `cert.renewed` when a renewal (RenewCertificate) replaced a node's certificate.
 * Returns the unwiring.
 */
export function publishCertificateRenewals(events: DaemonEvents, registry: NodeRegistry): () => void {
  return registry.onCertificateRenewed((renewal) => {
    events.publish({
      type: 'cert.renewed',
      at: renewal.renewedAt,
      deviceId: renewal.deviceId,
      name: registry.getNode(renewal.deviceId)?.name ?? '',
      certFingerprint: renewal.certFingerprint,
      certExpiresAt: renewal.certExpiresAt,
      previousCertFingerprint: renewal.presentedFingerprint,
    });
  });
}

/** The `cert.expiring` / `cert.expired` event of a certificate the watcher saw change state. */
export function certificateTransitionEvent({ node, state, graceEndsAt }: CertificateTransition, at: Date): DaemonEvent {
  return {
    type: state === 'expiring' ? 'cert.expiring' : 'cert.expired',
    at: at.toISOString(),
    deviceId: node.deviceId,
    name: node.name,
    certFingerprint: node.certFingerprint,
    certExpiresAt: node.certExpiresAt,
    state,
    ...(graceEndsAt === undefined ? {} : { graceEndsAt: graceEndsAt.toISOString() }),
  };
}
