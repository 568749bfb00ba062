// Original file: proto/palyra/v1/node.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DaemonMessage as _palyra_v1_DaemonMessage, DaemonMessage__Output as _palyra_v1_DaemonMessage__Output } from '../../palyra/v1/DaemonMessage.js';
import type { HealthRequest as _palyra_v1_HealthRequest, HealthRequest__Output as _palyra_v1_HealthRequest__Output } from '../../palyra/v1/HealthRequest.js';
import type { HealthResponse as _palyra_v1_HealthResponse, HealthResponse__Output as _palyra_v1_HealthResponse__Output } from '../../palyra/v1/HealthResponse.js';
import type { NodeMessage as _palyra_v1_NodeMessage, NodeMessage__Output as _palyra_v1_NodeMessage__Output } from '../../palyra/v1/NodeMessage.js';
import type { RegisterNodeRequest as _palyra_v1_RegisterNodeRequest, RegisterNodeRequest__Output as _palyra_v1_RegisterNodeRequest__Output } from '../../palyra/v1/RegisterNodeRequest.js';
import type { RegisterNodeResponse as _palyra_v1_RegisterNodeResponse, RegisterNodeResponse__Output as _palyra_v1_RegisterNodeResponse__Output } from '../../palyra/v1/RegisterNodeResponse.js';
import type { RenewClientMessage as _palyra_v1_RenewClientMessage, RenewClientMessage__Output as _palyra_v1_RenewClientMessage__Output } from '../../palyra/v1/RenewClientMessage.js';
import type { RenewServerMessage as _palyra_v1_RenewServerMessage, RenewServerMessage__Output as _palyra_v1_RenewServerMessage__Output } from '../../palyra/v1/RenewServerMessage.js';

/**
 * Every NodeService RPC requires a valid, non-revoked client certificate issued by the
 * daemon's CA whose device id matches the device id in the request.
 */
export interface NodeServiceClient extends grpc.Client {
  /**
   * A one-shot health ping (a check from a tool, or an agent older than health on the
   * Session stream). Agents on gRPC send their periodic pings as `health` messages on their
   * Session stream instead: no new HTTP/2 stream per ping. The round trip a node measured
   * is reported with its next ping.
   */
  Health(argument: _palyra_v1_HealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _palyra_v1_HealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _palyra_v1_HealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _palyra_v1_HealthRequest, callback: grpc.requestCallback<_palyra_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A one-shot health ping (a check from a tool, or an agent older than health on the
   * Session stream). Agents on gRPC send their periodic pings as `health` messages on their
   * Session stream instead: no new HTTP/2 stream per ping. The round trip a node measured
   * is reported with its next ping.
   */
  health(argument: _palyra_v1_HealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _palyra_v1_HealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _palyra_v1_HealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _palyra_v1_HealthRequest, callback: grpc.requestCallback<_palyra_v1_HealthResponse__Output>): grpc.ClientUnaryCall;
  
  RegisterNode(argument: _palyra_v1_RegisterNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  RegisterNode(argument: _palyra_v1_RegisterNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  RegisterNode(argument: _palyra_v1_RegisterNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  RegisterNode(argument: _palyra_v1_RegisterNodeRequest, callback: grpc.requestCallback<_palyra_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  registerNode(argument: _palyra_v1_RegisterNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  registerNode(argument: _palyra_v1_RegisterNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  registerNode(argument: _palyra_v1_RegisterNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  registerNode(argument: _palyra_v1_RegisterNodeRequest, callback: grpc.requestCallback<_palyra_v1_RegisterNodeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Renews this node's certificate. One stream is one renewal:
   * node   -> start      (its device id)
   * daemon -> challenge  (a fresh single-use nonce)
   * node   -> proof      (a CSR for a new TLS key, the fingerprint of the certificate it
   * holds, and an Ed25519 signature by its registered identity key over
   * the renewal transcript, see @palyra/shared/renewal)
   * daemon -> issued     (the new certificate and the CAs to trust)
   * Authenticated by the node's current client certificate. A node whose certificate expired
   * (so TLS sees no valid client certificate) may still renew by the same proof within the
   * daemon's renewal grace; this is the only RPC such a node may call, and it issues only a
   * renewal of that node's certificate.
   */
  RenewCertificate(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_RenewClientMessage, _palyra_v1_RenewServerMessage__Output>;
  RenewCertificate(options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_RenewClientMessage, _palyra_v1_RenewServerMessage__Output>;
  /**
   * Renews this node's certificate. One stream is one renewal:
   * node   -> start      (its device id)
   * daemon -> challenge  (a fresh single-use nonce)
   * node   -> proof      (a CSR for a new TLS key, the fingerprint of the certificate it
   * holds, and an Ed25519 signature by its registered identity key over
   * the renewal transcript, see @palyra/shared/renewal)
   * daemon -> issued     (the new certificate and the CAs to trust)
   * Authenticated by the node's current client certificate. A node whose certificate expired
   * (so TLS sees no valid client certificate) may still renew by the same proof within the
   * daemon's renewal grace; this is the only RPC such a node may call, and it issues only a
   * renewal of that node's certificate.
   */
  renewCertificate(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_RenewClientMessage, _palyra_v1_RenewServerMessage__Output>;
  renewCertificate(options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_RenewClientMessage, _palyra_v1_RenewServerMessage__Output>;
  
  /**
   * One Session stream per node: the first message is `hello`; the node counts as online
   * while the stream is open. Dispatches flow down, results flow up.
   */
  Session(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_NodeMessage, _palyra_v1_DaemonMessage__Output>;
  Session(options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_NodeMessage, _palyra_v1_DaemonMessage__Output>;
  /**
   * One Session stream per node: the first message is `hello`; the node counts as online
   * while the stream is open. Dispatches flow down, results flow up.
   */
  session(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_NodeMessage, _palyra_v1_DaemonMessage__Output>;
  session(options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_NodeMessage, _palyra_v1_DaemonMessage__Output>;
  
}

/**
 * Every NodeService RPC requires a valid, non-revoked client certificate issued by the
 * daemon's CA whose device id matches the device id in the request.
 */
export interface NodeServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * A one-shot health ping (a check from a tool, or an agent older than health on the
   * Session stream). Agents on gRPC send their periodic pings as `health` messages on their
   * Session stream instead: no new HTTP/2 stream per ping. The round trip a node measured
   * is reported with its next ping.
   */
  Health: grpc.handleUnaryCall<_palyra_v1_HealthRequest__Output, _palyra_v1_HealthResponse>;
  
  RegisterNode: grpc.handleUnaryCall<_palyra_v1_RegisterNodeRequest__Output, _palyra_v1_RegisterNodeResponse>;
  
  /**
   * Renews this node's certificate. One stream is one renewal:
   * node   -> start      (its device id)
   * daemon -> challenge  (a fresh single-use nonce)
   * node   -> proof      (a CSR for a new TLS key, the fingerprint of the certificate it
   * holds, and an Ed25519 signature by its registered identity key over
   * the renewal transcript, see @palyra/shared/renewal)
   * daemon -> issued     (the new certificate and the CAs to trust)
   * Authenticated by the node's current client certificate. A node whose certificate expired
   * (so TLS sees no valid client certificate) may still renew by the same proof within the
   * daemon's renewal grace; this is the only RPC such a node may call, and it issues only a
   * renewal of that node's certificate.
   */
  RenewCertificate: grpc.handleBidiStreamingCall<_palyra_v1_RenewClientMessage__Output, _palyra_v1_RenewServerMessage>;
  
  /**
   * One Session stream per node: the first message is `hello`; the node counts as online
   * while the stream is open. Dispatches flow down, results flow up.
   */
  Session: grpc.handleBidiStreamingCall<_palyra_v1_NodeMessage__Output, _palyra_v1_DaemonMessage>;
  
}

export interface NodeServiceDefinition extends grpc.ServiceDefinition {
  Health: MethodDefinition<_palyra_v1_HealthRequest, _palyra_v1_HealthResponse, _palyra_v1_HealthRequest__Output, _palyra_v1_HealthResponse__Output>
  RegisterNode: MethodDefinition<_palyra_v1_RegisterNodeRequest, _palyra_v1_RegisterNodeResponse, _palyra_v1_RegisterNodeRequest__Output, _palyra_v1_RegisterNodeResponse__Output>
  RenewCertificate: MethodDefinition<_palyra_v1_RenewClientMessage, _palyra_v1_RenewServerMessage, _palyra_v1_RenewClientMessage__Output, _palyra_v1_RenewServerMessage__Output>
  Session: MethodDefinition<_palyra_v1_NodeMessage, _palyra_v1_DaemonMessage, _palyra_v1_NodeMessage__Output, _palyra_v1_DaemonMessage__Output>
}
