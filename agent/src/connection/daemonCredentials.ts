import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { checkDaemonCertificate, fingerprint } from '@palyra/shared/x509';
import type { NodeIdentity } from '../identity/index.js';

/**
 * mTLS credentials for talking to the daemon: trust only the CA proven at pairing, present
 * the node certificate, and accept only the daemon's server certificate: every node
 * certificate chains to the same CA, so a node must never be able to pose as the daemon to
 * another node.
 */
export function createDaemonCredentials(
  identity: NodeIdentity,
  pinnedFingerprint?: string,
  onPinMismatch?: (actual: string) => void,
): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(
    Buffer.from(identity.caCertPem),
    Buffer.from(identity.tlsPrivateKeyPem),
    Buffer.from(identity.certPem),
    { checkServerIdentity: (_host, cert) => checkDaemonCertificate(cert) ?? checkPinnedFingerprint(cert, pinnedFingerprint, onPinMismatch) },
  );
}

/**
 * With --pin-server-fingerprint: the daemon's server certificate must be exactly that one
 * (SHA-256 of its DER), on top of the CA check. `pinned` is lowercase hex.
 */
export function checkPinnedFingerprint(
  cert: PeerCertificate,
  pinned: string | undefined,
  onMismatch?: (actual: string) => void,
): Error | undefined {
  if (pinned === undefined) return undefined;
  const actual = cert.raw === undefined ? '' : fingerprint(cert.raw);
  if (actual === pinned) return undefined;
  onMismatch?.(actual);
  return new Error(`the daemon's certificate fingerprint ${actual} is not the pinned ${pinned}`);
}
