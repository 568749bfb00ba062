import { X509Certificate } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import { derToPem, pemCertificates } from '@palyra/shared/x509';
import { NODE_TLS_POLICY, createPolicyServerCredentials } from '../rpc/serverCredentials.js';
import type { TlsCertificateProvider, TlsMaterial } from '../rpc/TlsCertificateProvider.js';

/**
 * TLS of the remote admin endpoint: the daemon's server certificate, NODE_TLS_POLICY, no client
 * certificate requested (callers present API tokens). The chain sent is [server certificate,
 * the CA certificate that issued it]: a client that knows only the CA fingerprint (the ready
 * line's `ca=`) finds the CA in the handshake, checks it against the pin, then verifies the
 * server certificate with it. Every renewal of the server certificate (and CA rotation) is
 * applied to new connections without a restart.
 */
export function createAdminTlsCredentials(provider: TlsCertificateProvider): grpc.ServerCredentials {
  return createPolicyServerCredentials(provider, { requestCert: false, contextOf: adminContextOptions });
}

export function adminContextOptions(material: TlsMaterial): SecureContextOptions {
  return { ...NODE_TLS_POLICY, cert: serverChainPem(material), key: material.serverKeyPem };
}

/** The server certificate followed by the CA of the trust bundle that issued it (during a CA rotation the bundle holds two). */
export function serverChainPem(material: TlsMaterial): string {
  const [leafDer] = pemCertificates(material.serverCertPem);
  if (leafDer === undefined) return material.serverCertPem;
  const leaf = new X509Certificate(leafDer);
  const issuer = pemCertificates(material.caCertPem)
    .map((der) => new X509Certificate(der))
    .find((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
  const leafPem = derToPem(leafDer, 'CERTIFICATE');
  return issuer === undefined ? leafPem : `${leafPem}${derToPem(issuer.raw, 'CERTIFICATE')}`;
}
