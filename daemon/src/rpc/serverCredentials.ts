import type { SecureContextOptions } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { TlsCertificateProvider, TlsMaterial } from './TlsCertificateProvider.js';

/**
 * TLS versions and cipher suites of the node port. TLS 1.3 is preferred (OpenSSL negotiates the
 * highest version both sides have); TLS 1.2 is kept for older clients but only with ECDHE key
 * exchange and AEAD ciphers (Mozilla's "intermediate" list without DHE), so every session is
 * forward secret: static-RSA suites (AES128-SHA, AES256-SHA256, ...) are refused.
 */
export const NODE_TLS_POLICY = {
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  ciphers: [
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  honorCipherOrder: true,
} as const satisfies SecureContextOptions;

/**
 * TLS credentials for the one node-facing port: the server asks for a client certificate
 * and verifies it against the CA, but does not require one, because pairing happens before
 * the node has a certificate. Every RPC except pairing must therefore check the peer's
 * identity itself (see authenticatePeer).
 *
 * Not grpc-js's createCertificateProviderServerCredentials: its secure context holds only the
 * CA, certificate and key, and node:tls's setSecureContext (run on every certificate update,
 * the first one included) resets anything left out, the cipher list and minimum version among
 * them, to Node's defaults. Here every context carries NODE_TLS_POLICY.
 */
class PolicyServerCredentials extends grpc.ServerCredentials {
  constructor(provider: TlsCertificateProvider, requestCert: boolean, contextOf: (material: TlsMaterial) => SecureContextOptions) {
    super({ requestCert, rejectUnauthorized: false, ...NODE_TLS_POLICY }, contextOf(provider.material));
    provider.onUpdate((material) => this.updateSecureContextOptions(contextOf(material)));
  }

  override _equals(other: grpc.ServerCredentials): boolean {
    return this === other;
  }
}

function contextOptions(material: TlsMaterial): SecureContextOptions {
  return { ...NODE_TLS_POLICY, ca: material.caCertPem, cert: material.serverCertPem, key: material.serverKeyPem };
}

export function createNodeServerCredentials(provider: TlsCertificateProvider): grpc.ServerCredentials {
  return new PolicyServerCredentials(provider, true, contextOptions);
}

/**
 * Server credentials that follow `provider` (every certificate update, CA rotations included)
 * with NODE_TLS_POLICY in every context: `contextOf` builds the certificate part from the
 * material. Without a client certificate request (`requestCert` false) for endpoints whose
 * callers authenticate otherwise (the remote admin endpoint's API tokens).
 */
export function createPolicyServerCredentials(
  provider: TlsCertificateProvider,
  { requestCert, contextOf }: { requestCert: boolean; contextOf: (material: TlsMaterial) => SecureContextOptions },
): grpc.ServerCredentials {
  return new PolicyServerCredentials(provider, requestCert, contextOf);
}

/**
 * Options of the node-facing gRPC server. Keepalive: a frozen node (no FIN, no RST) is noticed within
 * KEEPALIVE_TIME_MS + KEEPALIVE_TIMEOUT_MS instead of never. Idle: a connection with no call for
 * 5 minutes is closed (nodes always hold their Session stream; a client that reconnects on its
 * next call does not notice), so a peer cannot hold connections it does not use. Channelz is
 * off: nothing serves or reads it, and it kept a registry entry, a call tracker and a trace per
 * connection (and counters per call) for every connected node.
 */
export const NODE_SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.keepalive_time_ms': 5_000,
  'grpc.keepalive_timeout_ms': 3_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_connection_idle_ms': 5 * 60_000,
  'grpc.max_receive_message_length': 4 * 1024 * 1024,
  'grpc.enable_channelz': 0,
};
