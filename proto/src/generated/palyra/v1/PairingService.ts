// Original file: proto/palyra/v1/pairing.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { PairClientMessage as _palyra_v1_PairClientMessage, PairClientMessage__Output as _palyra_v1_PairClientMessage__Output } from '../../palyra/v1/PairClientMessage.js';
import type { PairServerMessage as _palyra_v1_PairServerMessage, PairServerMessage__Output as _palyra_v1_PairServerMessage__Output } from '../../palyra/v1/PairServerMessage.js';

/**
 * Pairing runs over TLS without a client certificate. One Pair stream is one attempt.
 * Order (node = initiator, daemon = responder):
 * node   -> hello         (method, nonce)
 * daemon -> server_hello  (nonce, CA cert, PIN salt)
 * node   -> share         (CPace Ya)
 * daemon -> share         (CPace Yb)          the attempt counts against the code from here
 * node   -> confirm       (identity, CSR, MAC, Ed25519 signature)
 * daemon -> confirm       (MAC, request id)   the node now trusts the CA
 * daemon -> decision      (pending, then approved with the certificate, rejected or expired)
 */
export interface PairingServiceClient extends grpc.Client {
  Pair(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_PairClientMessage, _palyra_v1_PairServerMessage__Output>;
  Pair(options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_PairClientMessage, _palyra_v1_PairServerMessage__Output>;
  pair(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_PairClientMessage, _palyra_v1_PairServerMessage__Output>;
  pair(options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_PairClientMessage, _palyra_v1_PairServerMessage__Output>;
  
}

/**
 * Pairing runs over TLS without a client certificate. One Pair stream is one attempt.
 * Order (node = initiator, daemon = responder):
 * node   -> hello         (method, nonce)
 * daemon -> server_hello  (nonce, CA cert, PIN salt)
 * node   -> share         (CPace Ya)
 * daemon -> share         (CPace Yb)          the attempt counts against the code from here
 * node   -> confirm       (identity, CSR, MAC, Ed25519 signature)
 * daemon -> confirm       (MAC, request id)   the node now trusts the CA
 * daemon -> decision      (pending, then approved with the certificate, rejected or expired)
 */
export interface PairingServiceHandlers extends grpc.UntypedServiceImplementation {
  Pair: grpc.handleBidiStreamingCall<_palyra_v1_PairClientMessage__Output, _palyra_v1_PairServerMessage>;
  
}

export interface PairingServiceDefinition extends grpc.ServiceDefinition {
  Pair: MethodDefinition<_palyra_v1_PairClientMessage, _palyra_v1_PairServerMessage, _palyra_v1_PairClientMessage__Output, _palyra_v1_PairServerMessage__Output>
}
