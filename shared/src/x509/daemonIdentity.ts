import type { PeerCertificate } from 'node:tls';
import { DAEMON_URI, EKU_SERVER_AUTH } from './constants.js';

/**
 * TLS server name a client asks the daemon for. The daemon's CA is private to one daemon, so
 * any certificate it issued as a daemon certificate IS that daemon, whatever address was
 * dialled (NAT, DNS aliases, a changed IP): the identity check is the CA plus the daemon
 * marker below, not the host name.
 */
export const DAEMON_TLS_NAME = 'palyrad';

/**
 * Called by TLS (as checkServerIdentity) after the chain verified against the daemon's CA:
 * is this the daemon's certificate? Every node certificate chains to the same CA, so a node
 * must never be able to pose as the daemon, to another node or to an operator. Used by the
 * agent (node port) and by the operator's remote client (admin endpoint).
 */
export function checkDaemonCertificate(cert: PeerCertificate): Error | undefined {
  const sans = (cert.subjectaltname ?? '').split(',').map((s) => s.trim());
  const ekus = (cert as PeerCertificate & { ext_key_usage?: string[] }).ext_key_usage ?? [];
  if (!sans.includes(`URI:${DAEMON_URI}`) || !ekus.includes(EKU_SERVER_AUTH)) {
    return new Error('the peer certificate is not a Palyra daemon certificate');
  }
  return undefined;
}
