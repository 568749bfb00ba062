import { createHash } from 'node:crypto';
import { PalyraError } from '@palyra/shared/errors';
import { heldCertificate } from '../registry/heldCertificate.js';
import type { NodeRecord } from '../registry/types.js';

export interface PeerIdentityLookup {
  isRevoked(fingerprint: string): boolean;
  nodeForFingerprint(fingerprint: string): NodeRecord | undefined;
  /** Why TLS refused the certificate presented on the connection of `peer` (see RefusedClientCertificates). */
  refusedCertificate?(peer: string, now: Date): string | undefined;
}

/** What grpc-js exposes of a call's TLS session (its AuthContext type is not exported). */
export interface CallWithAuthContext {
  getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } } | null;
  /** `ADDRESS:PORT` of the connection. */
  getPeer(): string;
}

export interface AuthenticatedPeer {
  deviceId: string;
  fingerprint: string;
  node: NodeRecord;
  /** notAfter of the certificate presented (the node's current or, before it switched, previous one). */
  certExpiresAt: string;
}

/**
 * Verifies the caller of a NodeService RPC. grpc-js only exposes a certificate that the TLS
 * layer verified against our CA (otherwise the auth context is empty); on top of that the
 * certificate must be the one we issued to a registered node (exact fingerprint), not be
 * revoked, not have expired since the handshake, and belong to the device the request
 * names. Runs on every RPC, so lookups are O(1).
 */
export function authenticatePeer(
  call: CallWithAuthContext,
  claimedDeviceId: string,
  lookup: PeerIdentityLookup,
  now: Date = new Date(),
): AuthenticatedPeer {
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  if (raw === undefined || raw.length === 0) {
    // A certificate that failed TLS verification looks like none at all in the auth context.
    const refused = lookup.refusedCertificate?.(call.getPeer(), now);
    if (refused !== undefined) {
      throw new PalyraError('PALYRA_E_UNAUTHENTICATED', `the client certificate was refused: ${refused}: pair the node again with palyra-node join`);
    }
    throw new PalyraError(
      'PALYRA_E_UNAUTHENTICATED',
      'a client certificate issued by this daemon is required: pair the node with palyra-node join first',
    );
  }
  return authorizeFingerprint(createHash('sha256').update(raw).digest('hex'), claimedDeviceId, lookup, now);
}

/**
 * The checks of authenticatePeer after the certificate's fingerprint is known: also run on
 * each health ping of a live Session stream (the fingerprint taken at its hello), so a node
 * revoked, removed or expired since then is refused there too.
 */
export function authorizeFingerprint(fingerprint: string, claimedDeviceId: string, lookup: PeerIdentityLookup, now: Date = new Date()): AuthenticatedPeer {
  if (lookup.isRevoked(fingerprint)) {
    throw new PalyraError('PALYRA_E_PERMISSION_DENIED', 'this node certificate was revoked: pair the node again');
  }
  const node = lookup.nodeForFingerprint(fingerprint);
  if (node === undefined) {
    throw new PalyraError('PALYRA_E_PERMISSION_DENIED', 'this certificate belongs to no registered node: pair the node again');
  }
  const held = heldCertificate(node, fingerprint);
  if (held === undefined || Date.parse(held.expiresAt) <= now.getTime()) {
    throw new PalyraError('PALYRA_E_PERMISSION_DENIED', 'this node certificate has expired: the node must renew it (within the renewal grace), else pair it again');
  }
  if (node.deviceId !== claimedDeviceId) {
    throw new PalyraError(
      'PALYRA_E_PERMISSION_DENIED',
      `the certificate belongs to device ${node.deviceId}, not to device ${claimedDeviceId}`,
    );
  }
  return { deviceId: node.deviceId, fingerprint, node, certExpiresAt: held.expiresAt };
}
