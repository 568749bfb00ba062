import * as grpc from '@grpc/grpc-js';
import type { TlsCertificateProvider } from './TlsCertificateProvider.js';

/**
 * TLS credentials for the one node-facing port: the server asks for a client certificate
 * and verifies it against the CA, but does not require one, because pairing happens before
 * the node has a certificate. Every RPC except pairing must therefore check the peer's
 * identity itself (see authenticatePeer).
 */
export function createNodeServerCredentials(provider: TlsCertificateProvider): grpc.ServerCredentials {
  return grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false);
}

/**
 * Options of the node-facing gRPC server. Keepalive: a frozen node (no FIN, no RST) is noticed within
 * KEEPALIVE_TIME_MS + KEEPALIVE_TIMEOUT_MS instead of never. Channelz is off: nothing serves
 * or reads it, and it kept a registry entry, a call tracker and a trace per connection (and
 * counters per call) for every connected node.
 */
export const NODE_SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.keepalive_time_ms': 5_000,
  'grpc.keepalive_timeout_ms': 3_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 4 * 1024 * 1024,
  'grpc.enable_channelz': 0,
};
