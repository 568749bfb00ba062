// Original file: proto/palyra/v1/pairing.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetPairingInfoRequest as _palyra_v1_GetPairingInfoRequest, GetPairingInfoRequest__Output as _palyra_v1_GetPairingInfoRequest__Output } from '../../palyra/v1/GetPairingInfoRequest.js';
import type { PairClientMessage as _palyra_v1_PairClientMessage, PairClientMessage__Output as _palyra_v1_PairClientMessage__Output } from '../../palyra/v1/PairClientMessage.js';
import type { PairServerMessage as _palyra_v1_PairServerMessage, PairServerMessage__Output as _palyra_v1_PairServerMessage__Output } from '../../palyra/v1/PairServerMessage.js';
import type { PairingInfo as _palyra_v1_PairingInfo, PairingInfo__Output as _palyra_v1_PairingInfo__Output } from '../../palyra/v1/PairingInfo.js';

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
 * 
 * Before Pair, the node fetches the CA certificate with GetPairingInfo over an unverified
 * channel, then opens Pair on a channel verified against that CA. A substituted CA cannot
 * survive Pair (its fingerprint is bound into CPace), and the verified channel lets the node
 * bind the exchange to the TLS certificate it actually saw.
 */
export interface PairingServiceClient extends grpc.Client {
  GetPairingInfo(argument: _palyra_v1_GetPairingInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_PairingInfo__Output>): grpc.ClientUnaryCall;
  GetPairingInfo(argument: _palyra_v1_GetPairingInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_PairingInfo__Output>): grpc.ClientUnaryCall;
  GetPairingInfo(argument: _palyra_v1_GetPairingInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_PairingInfo__Output>): grpc.ClientUnaryCall;
  GetPairingInfo(argument: _palyra_v1_GetPairingInfoRequest, callback: grpc.requestCallback<_palyra_v1_PairingInfo__Output>): grpc.ClientUnaryCall;
  getPairingInfo(argument: _palyra_v1_GetPairingInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_PairingInfo__Output>): grpc.ClientUnaryCall;
  getPairingInfo(argument: _palyra_v1_GetPairingInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_PairingInfo__Output>): grpc.ClientUnaryCall;
  getPairingInfo(argument: _palyra_v1_GetPairingInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_PairingInfo__Output>): grpc.ClientUnaryCall;
  getPairingInfo(argument: _palyra_v1_GetPairingInfoRequest, callback: grpc.requestCallback<_palyra_v1_PairingInfo__Output>): grpc.ClientUnaryCall;
  
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
 * 
 * Before Pair, the node fetches the CA certificate with GetPairingInfo over an unverified
 * channel, then opens Pair on a channel verified against that CA. A substituted CA cannot
 * survive Pair (its fingerprint is bound into CPace), and the verified channel lets the node
 * bind the exchange to the TLS certificate it actually saw.
 */
export interface PairingServiceHandlers extends grpc.UntypedServiceImplementation {
  GetPairingInfo: grpc.handleUnaryCall<_palyra_v1_GetPairingInfoRequest__Output, _palyra_v1_PairingInfo>;
  
  Pair: grpc.handleBidiStreamingCall<_palyra_v1_PairClientMessage__Output, _palyra_v1_PairServerMessage>;
  
}

export interface PairingServiceDefinition extends grpc.ServiceDefinition {
  GetPairingInfo: MethodDefinition<_palyra_v1_GetPairingInfoRequest, _palyra_v1_PairingInfo, _palyra_v1_GetPairingInfoRequest__Output, _palyra_v1_PairingInfo__Output>
  Pair: MethodDefinition<_palyra_v1_PairClientMessage, _palyra_v1_PairServerMessage, _palyra_v1_PairClientMessage__Output, _palyra_v1_PairServerMessage__Output>
}
