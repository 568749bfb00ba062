import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { fingerprint } from '@palyra/shared/x509';
import type { NodeIdentity } from '../identity/index.js';

const SERVER_AUTH_OID = '1.3.6.1.5.5.7.3.1';

/**
 * TLS server name the node asks for. The daemon's CA is private to one daemon, so any
 * certificate it issued as a daemon certificate IS that daemon, whatever address the node
 * dialled (NAT, DNS aliases, a changed IP): the identity check is the CA plus the daemon
 * marker below, not the host name.
 */
export const DAEMON_TLS_NAME = 'palyrad';

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

/** Called by TLS after the chain verified against the CA: is this the daemon's certificate? */
export function checkDaemonCertificate(cert: PeerCertificate): Error | undefined {
  const sans = (cert.subjectaltname ?? '').split(',').map((s) => s.trim());
  const ekus = (cert as PeerCertificate & { ext_key_usage?: string[] }).ext_key_usage ?? [];
  if (!sans.includes('URI:urn:palyra:daemon') || !ekus.includes(SERVER_AUTH_OID)) {
    return new Error('the peer certificate is not a Palyra daemon certificate');
  }
  return undefined;
}
