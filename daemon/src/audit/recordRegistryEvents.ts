import type { Logger } from '@palyra/shared/logging';
import type { NodeRegistry } from '../registry/index.js';
import type { AuditRecord, AuditSink } from './types.js';

/**
 * Records what nodes and the daemon's own timers do to the registry: a node's pairing request
 * (actor: the node), a request's expiry (the daemon), a certificate renewal (the node) and
 * every revocation (the daemon: a removal, a re-pairing, a renewal replacing a certificate).
 * Operators' decisions are recorded where they are made (PairingDecisions, the admin
 * handlers), with the operator as actor.
 *
 * These are written after the registry committed, without holding up the node's stream (a
 * listener cannot be awaited): a crash between the commit and the fdatasync can lose such an
 * entry. A failure is logged loudly. Returns the function that stops recording.
 */
export function recordRegistryEvents(registry: NodeRegistry, audit: AuditSink, logger: Logger | undefined): () => void {
  const write = (record: AuditRecord): void => {
    audit.append(record).catch((error: unknown) => logger?.error({ action: record.action, node: record.node, error: (error as Error).message }, 'audit: an entry could not be written'));
  };
  const stops = [
    registry.onRequestChange((request) => {
      if (request.state === 'pending_approval') {
        write({
          action: 'pairing.request',
          actor: { kind: 'node', deviceId: request.deviceId },
          outcome: 'ok',
          node: request.deviceId,
          remoteAddress: request.remoteAddress,
          details: { requestId: request.requestId, method: request.method, name: request.name, hostname: request.hostname, platform: request.platform, repair: request.repair },
        });
      } else if (request.state === 'expired') {
        write({ action: 'pairing.expire', actor: { kind: 'daemon' }, outcome: 'ok', node: request.deviceId, details: { requestId: request.requestId } });
      }
    }),
    registry.onCertificateRenewed((renewal) =>
      write({
        action: 'cert.renew',
        actor: { kind: 'node', deviceId: renewal.deviceId },
        outcome: 'ok',
        node: renewal.deviceId,
        details: { path: renewal.path, fingerprint: renewal.certFingerprint, notAfter: renewal.certExpiresAt, presentedFingerprint: renewal.presentedFingerprint },
      }),
    ),
    registry.onRevoked((revoked) =>
      write({ action: 'cert.revoke', actor: { kind: 'daemon' }, outcome: 'ok', node: revoked.deviceId, details: { fingerprint: revoked.fingerprint, reason: revoked.reason } }),
    ),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
