// Original file: proto/palyra/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ApprovalsEvent as _palyra_v1_ApprovalsEvent, ApprovalsEvent__Output as _palyra_v1_ApprovalsEvent__Output } from '../../palyra/v1/ApprovalsEvent.js';
import type { AuditVerification as _palyra_v1_AuditVerification, AuditVerification__Output as _palyra_v1_AuditVerification__Output } from '../../palyra/v1/AuditVerification.js';
import type { CaStatus as _palyra_v1_CaStatus, CaStatus__Output as _palyra_v1_CaStatus__Output } from '../../palyra/v1/CaStatus.js';
import type { CancelDispatchRequest as _palyra_v1_CancelDispatchRequest, CancelDispatchRequest__Output as _palyra_v1_CancelDispatchRequest__Output } from '../../palyra/v1/CancelDispatchRequest.js';
import type { CancelDispatchResponse as _palyra_v1_CancelDispatchResponse, CancelDispatchResponse__Output as _palyra_v1_CancelDispatchResponse__Output } from '../../palyra/v1/CancelDispatchResponse.js';
import type { CreatePairingCodeRequest as _palyra_v1_CreatePairingCodeRequest, CreatePairingCodeRequest__Output as _palyra_v1_CreatePairingCodeRequest__Output } from '../../palyra/v1/CreatePairingCodeRequest.js';
import type { CreateTokenRequest as _palyra_v1_CreateTokenRequest, CreateTokenRequest__Output as _palyra_v1_CreateTokenRequest__Output } from '../../palyra/v1/CreateTokenRequest.js';
import type { CreatedToken as _palyra_v1_CreatedToken, CreatedToken__Output as _palyra_v1_CreatedToken__Output } from '../../palyra/v1/CreatedToken.js';
import type { DaemonEventMessage as _palyra_v1_DaemonEventMessage, DaemonEventMessage__Output as _palyra_v1_DaemonEventMessage__Output } from '../../palyra/v1/DaemonEventMessage.js';
import type { DaemonStatus as _palyra_v1_DaemonStatus, DaemonStatus__Output as _palyra_v1_DaemonStatus__Output } from '../../palyra/v1/DaemonStatus.js';
import type { DecideRequest as _palyra_v1_DecideRequest, DecideRequest__Output as _palyra_v1_DecideRequest__Output } from '../../palyra/v1/DecideRequest.js';
import type { DescribeNodeRequest as _palyra_v1_DescribeNodeRequest, DescribeNodeRequest__Output as _palyra_v1_DescribeNodeRequest__Output } from '../../palyra/v1/DescribeNodeRequest.js';
import type { DispatchInfo as _palyra_v1_DispatchInfo, DispatchInfo__Output as _palyra_v1_DispatchInfo__Output } from '../../palyra/v1/DispatchInfo.js';
import type { FinishCaRotationRequest as _palyra_v1_FinishCaRotationRequest, FinishCaRotationRequest__Output as _palyra_v1_FinishCaRotationRequest__Output } from '../../palyra/v1/FinishCaRotationRequest.js';
import type { FinishCaRotationResponse as _palyra_v1_FinishCaRotationResponse, FinishCaRotationResponse__Output as _palyra_v1_FinishCaRotationResponse__Output } from '../../palyra/v1/FinishCaRotationResponse.js';
import type { GetCaStatusRequest as _palyra_v1_GetCaStatusRequest, GetCaStatusRequest__Output as _palyra_v1_GetCaStatusRequest__Output } from '../../palyra/v1/GetCaStatusRequest.js';
import type { GetDispatchRequest as _palyra_v1_GetDispatchRequest, GetDispatchRequest__Output as _palyra_v1_GetDispatchRequest__Output } from '../../palyra/v1/GetDispatchRequest.js';
import type { GetStatusRequest as _palyra_v1_GetStatusRequest, GetStatusRequest__Output as _palyra_v1_GetStatusRequest__Output } from '../../palyra/v1/GetStatusRequest.js';
import type { InvokeEvent as _palyra_v1_InvokeEvent, InvokeEvent__Output as _palyra_v1_InvokeEvent__Output } from '../../palyra/v1/InvokeEvent.js';
import type { InvokeManyEvent as _palyra_v1_InvokeManyEvent, InvokeManyEvent__Output as _palyra_v1_InvokeManyEvent__Output } from '../../palyra/v1/InvokeManyEvent.js';
import type { InvokeManyRequest as _palyra_v1_InvokeManyRequest, InvokeManyRequest__Output as _palyra_v1_InvokeManyRequest__Output } from '../../palyra/v1/InvokeManyRequest.js';
import type { InvokeRequest as _palyra_v1_InvokeRequest, InvokeRequest__Output as _palyra_v1_InvokeRequest__Output } from '../../palyra/v1/InvokeRequest.js';
import type { LabelNodeRequest as _palyra_v1_LabelNodeRequest, LabelNodeRequest__Output as _palyra_v1_LabelNodeRequest__Output } from '../../palyra/v1/LabelNodeRequest.js';
import type { ListAuditRequest as _palyra_v1_ListAuditRequest, ListAuditRequest__Output as _palyra_v1_ListAuditRequest__Output } from '../../palyra/v1/ListAuditRequest.js';
import type { ListAuditResponse as _palyra_v1_ListAuditResponse, ListAuditResponse__Output as _palyra_v1_ListAuditResponse__Output } from '../../palyra/v1/ListAuditResponse.js';
import type { ListDispatchesRequest as _palyra_v1_ListDispatchesRequest, ListDispatchesRequest__Output as _palyra_v1_ListDispatchesRequest__Output } from '../../palyra/v1/ListDispatchesRequest.js';
import type { ListDispatchesResponse as _palyra_v1_ListDispatchesResponse, ListDispatchesResponse__Output as _palyra_v1_ListDispatchesResponse__Output } from '../../palyra/v1/ListDispatchesResponse.js';
import type { ListNodesRequest as _palyra_v1_ListNodesRequest, ListNodesRequest__Output as _palyra_v1_ListNodesRequest__Output } from '../../palyra/v1/ListNodesRequest.js';
import type { ListNodesResponse as _palyra_v1_ListNodesResponse, ListNodesResponse__Output as _palyra_v1_ListNodesResponse__Output } from '../../palyra/v1/ListNodesResponse.js';
import type { ListPendingRequest as _palyra_v1_ListPendingRequest, ListPendingRequest__Output as _palyra_v1_ListPendingRequest__Output } from '../../palyra/v1/ListPendingRequest.js';
import type { ListPendingResponse as _palyra_v1_ListPendingResponse, ListPendingResponse__Output as _palyra_v1_ListPendingResponse__Output } from '../../palyra/v1/ListPendingResponse.js';
import type { ListTokensRequest as _palyra_v1_ListTokensRequest, ListTokensRequest__Output as _palyra_v1_ListTokensRequest__Output } from '../../palyra/v1/ListTokensRequest.js';
import type { ListTokensResponse as _palyra_v1_ListTokensResponse, ListTokensResponse__Output as _palyra_v1_ListTokensResponse__Output } from '../../palyra/v1/ListTokensResponse.js';
import type { NodeDescription as _palyra_v1_NodeDescription, NodeDescription__Output as _palyra_v1_NodeDescription__Output } from '../../palyra/v1/NodeDescription.js';
import type { NodeInfo as _palyra_v1_NodeInfo, NodeInfo__Output as _palyra_v1_NodeInfo__Output } from '../../palyra/v1/NodeInfo.js';
import type { PairingCode as _palyra_v1_PairingCode, PairingCode__Output as _palyra_v1_PairingCode__Output } from '../../palyra/v1/PairingCode.js';
import type { PendingRequest as _palyra_v1_PendingRequest, PendingRequest__Output as _palyra_v1_PendingRequest__Output } from '../../palyra/v1/PendingRequest.js';
import type { RemoveNodeRequest as _palyra_v1_RemoveNodeRequest, RemoveNodeRequest__Output as _palyra_v1_RemoveNodeRequest__Output } from '../../palyra/v1/RemoveNodeRequest.js';
import type { RenewNodesRequest as _palyra_v1_RenewNodesRequest, RenewNodesRequest__Output as _palyra_v1_RenewNodesRequest__Output } from '../../palyra/v1/RenewNodesRequest.js';
import type { RenewNodesResponse as _palyra_v1_RenewNodesResponse, RenewNodesResponse__Output as _palyra_v1_RenewNodesResponse__Output } from '../../palyra/v1/RenewNodesResponse.js';
import type { RevokeTokenRequest as _palyra_v1_RevokeTokenRequest, RevokeTokenRequest__Output as _palyra_v1_RevokeTokenRequest__Output } from '../../palyra/v1/RevokeTokenRequest.js';
import type { RotateCaRequest as _palyra_v1_RotateCaRequest, RotateCaRequest__Output as _palyra_v1_RotateCaRequest__Output } from '../../palyra/v1/RotateCaRequest.js';
import type { StreamEventsRequest as _palyra_v1_StreamEventsRequest, StreamEventsRequest__Output as _palyra_v1_StreamEventsRequest__Output } from '../../palyra/v1/StreamEventsRequest.js';
import type { TokenInfo as _palyra_v1_TokenInfo, TokenInfo__Output as _palyra_v1_TokenInfo__Output } from '../../palyra/v1/TokenInfo.js';
import type { VerifyAuditRequest as _palyra_v1_VerifyAuditRequest, VerifyAuditRequest__Output as _palyra_v1_VerifyAuditRequest__Output } from '../../palyra/v1/VerifyAuditRequest.js';
import type { WatchApprovalsRequest as _palyra_v1_WatchApprovalsRequest, WatchApprovalsRequest__Output as _palyra_v1_WatchApprovalsRequest__Output } from '../../palyra/v1/WatchApprovalsRequest.js';
import type { WhoAmIRequest as _palyra_v1_WhoAmIRequest, WhoAmIRequest__Output as _palyra_v1_WhoAmIRequest__Output } from '../../palyra/v1/WhoAmIRequest.js';
import type { WhoAmIResponse as _palyra_v1_WhoAmIResponse, WhoAmIResponse__Output as _palyra_v1_WhoAmIResponse__Output } from '../../palyra/v1/WhoAmIResponse.js';

/**
 * Local operators reach AdminService on a Unix socket in the daemon's state dir (0600).
 */
export interface AdminServiceClient extends grpc.Client {
  CancelDispatch(argument: _palyra_v1_CancelDispatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CancelDispatchResponse__Output>): grpc.ClientUnaryCall;
  CancelDispatch(argument: _palyra_v1_CancelDispatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_CancelDispatchResponse__Output>): grpc.ClientUnaryCall;
  CancelDispatch(argument: _palyra_v1_CancelDispatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CancelDispatchResponse__Output>): grpc.ClientUnaryCall;
  CancelDispatch(argument: _palyra_v1_CancelDispatchRequest, callback: grpc.requestCallback<_palyra_v1_CancelDispatchResponse__Output>): grpc.ClientUnaryCall;
  cancelDispatch(argument: _palyra_v1_CancelDispatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CancelDispatchResponse__Output>): grpc.ClientUnaryCall;
  cancelDispatch(argument: _palyra_v1_CancelDispatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_CancelDispatchResponse__Output>): grpc.ClientUnaryCall;
  cancelDispatch(argument: _palyra_v1_CancelDispatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CancelDispatchResponse__Output>): grpc.ClientUnaryCall;
  cancelDispatch(argument: _palyra_v1_CancelDispatchRequest, callback: grpc.requestCallback<_palyra_v1_CancelDispatchResponse__Output>): grpc.ClientUnaryCall;
  
  CreatePairingCode(argument: _palyra_v1_CreatePairingCodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_PairingCode__Output>): grpc.ClientUnaryCall;
  CreatePairingCode(argument: _palyra_v1_CreatePairingCodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_PairingCode__Output>): grpc.ClientUnaryCall;
  CreatePairingCode(argument: _palyra_v1_CreatePairingCodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_PairingCode__Output>): grpc.ClientUnaryCall;
  CreatePairingCode(argument: _palyra_v1_CreatePairingCodeRequest, callback: grpc.requestCallback<_palyra_v1_PairingCode__Output>): grpc.ClientUnaryCall;
  createPairingCode(argument: _palyra_v1_CreatePairingCodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_PairingCode__Output>): grpc.ClientUnaryCall;
  createPairingCode(argument: _palyra_v1_CreatePairingCodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_PairingCode__Output>): grpc.ClientUnaryCall;
  createPairingCode(argument: _palyra_v1_CreatePairingCodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_PairingCode__Output>): grpc.ClientUnaryCall;
  createPairingCode(argument: _palyra_v1_CreatePairingCodeRequest, callback: grpc.requestCallback<_palyra_v1_PairingCode__Output>): grpc.ClientUnaryCall;
  
  /**
   * API tokens for remote operators and programs (docs/security.md). The secret is in the
   * CreateToken answer only; the daemon keeps its hash.
   */
  CreateToken(argument: _palyra_v1_CreateTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CreatedToken__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _palyra_v1_CreateTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_CreatedToken__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _palyra_v1_CreateTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CreatedToken__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _palyra_v1_CreateTokenRequest, callback: grpc.requestCallback<_palyra_v1_CreatedToken__Output>): grpc.ClientUnaryCall;
  /**
   * API tokens for remote operators and programs (docs/security.md). The secret is in the
   * CreateToken answer only; the daemon keeps its hash.
   */
  createToken(argument: _palyra_v1_CreateTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CreatedToken__Output>): grpc.ClientUnaryCall;
  createToken(argument: _palyra_v1_CreateTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_CreatedToken__Output>): grpc.ClientUnaryCall;
  createToken(argument: _palyra_v1_CreateTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CreatedToken__Output>): grpc.ClientUnaryCall;
  createToken(argument: _palyra_v1_CreateTokenRequest, callback: grpc.requestCallback<_palyra_v1_CreatedToken__Output>): grpc.ClientUnaryCall;
  
  Decide(argument: _palyra_v1_DecideRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_PendingRequest__Output>): grpc.ClientUnaryCall;
  Decide(argument: _palyra_v1_DecideRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_PendingRequest__Output>): grpc.ClientUnaryCall;
  Decide(argument: _palyra_v1_DecideRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_PendingRequest__Output>): grpc.ClientUnaryCall;
  Decide(argument: _palyra_v1_DecideRequest, callback: grpc.requestCallback<_palyra_v1_PendingRequest__Output>): grpc.ClientUnaryCall;
  decide(argument: _palyra_v1_DecideRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_PendingRequest__Output>): grpc.ClientUnaryCall;
  decide(argument: _palyra_v1_DecideRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_PendingRequest__Output>): grpc.ClientUnaryCall;
  decide(argument: _palyra_v1_DecideRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_PendingRequest__Output>): grpc.ClientUnaryCall;
  decide(argument: _palyra_v1_DecideRequest, callback: grpc.requestCallback<_palyra_v1_PendingRequest__Output>): grpc.ClientUnaryCall;
  
  /**
   * Everything known about one node: labels with their source, capabilities with schemas,
   * certificate, transport, health, last dispatches.
   */
  DescribeNode(argument: _palyra_v1_DescribeNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  DescribeNode(argument: _palyra_v1_DescribeNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  DescribeNode(argument: _palyra_v1_DescribeNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  DescribeNode(argument: _palyra_v1_DescribeNodeRequest, callback: grpc.requestCallback<_palyra_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  /**
   * Everything known about one node: labels with their source, capabilities with schemas,
   * certificate, transport, health, last dispatches.
   */
  describeNode(argument: _palyra_v1_DescribeNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describeNode(argument: _palyra_v1_DescribeNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describeNode(argument: _palyra_v1_DescribeNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  describeNode(argument: _palyra_v1_DescribeNodeRequest, callback: grpc.requestCallback<_palyra_v1_NodeDescription__Output>): grpc.ClientUnaryCall;
  
  FinishCaRotation(argument: _palyra_v1_FinishCaRotationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_FinishCaRotationResponse__Output>): grpc.ClientUnaryCall;
  FinishCaRotation(argument: _palyra_v1_FinishCaRotationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_FinishCaRotationResponse__Output>): grpc.ClientUnaryCall;
  FinishCaRotation(argument: _palyra_v1_FinishCaRotationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_FinishCaRotationResponse__Output>): grpc.ClientUnaryCall;
  FinishCaRotation(argument: _palyra_v1_FinishCaRotationRequest, callback: grpc.requestCallback<_palyra_v1_FinishCaRotationResponse__Output>): grpc.ClientUnaryCall;
  finishCaRotation(argument: _palyra_v1_FinishCaRotationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_FinishCaRotationResponse__Output>): grpc.ClientUnaryCall;
  finishCaRotation(argument: _palyra_v1_FinishCaRotationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_FinishCaRotationResponse__Output>): grpc.ClientUnaryCall;
  finishCaRotation(argument: _palyra_v1_FinishCaRotationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_FinishCaRotationResponse__Output>): grpc.ClientUnaryCall;
  finishCaRotation(argument: _palyra_v1_FinishCaRotationRequest, callback: grpc.requestCallback<_palyra_v1_FinishCaRotationResponse__Output>): grpc.ClientUnaryCall;
  
  GetCaStatus(argument: _palyra_v1_GetCaStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  GetCaStatus(argument: _palyra_v1_GetCaStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  GetCaStatus(argument: _palyra_v1_GetCaStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  GetCaStatus(argument: _palyra_v1_GetCaStatusRequest, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  getCaStatus(argument: _palyra_v1_GetCaStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  getCaStatus(argument: _palyra_v1_GetCaStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  getCaStatus(argument: _palyra_v1_GetCaStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  getCaStatus(argument: _palyra_v1_GetCaStatusRequest, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  
  GetDispatch(argument: _palyra_v1_GetDispatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_DispatchInfo__Output>): grpc.ClientUnaryCall;
  GetDispatch(argument: _palyra_v1_GetDispatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_DispatchInfo__Output>): grpc.ClientUnaryCall;
  GetDispatch(argument: _palyra_v1_GetDispatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_DispatchInfo__Output>): grpc.ClientUnaryCall;
  GetDispatch(argument: _palyra_v1_GetDispatchRequest, callback: grpc.requestCallback<_palyra_v1_DispatchInfo__Output>): grpc.ClientUnaryCall;
  getDispatch(argument: _palyra_v1_GetDispatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_DispatchInfo__Output>): grpc.ClientUnaryCall;
  getDispatch(argument: _palyra_v1_GetDispatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_DispatchInfo__Output>): grpc.ClientUnaryCall;
  getDispatch(argument: _palyra_v1_GetDispatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_DispatchInfo__Output>): grpc.ClientUnaryCall;
  getDispatch(argument: _palyra_v1_GetDispatchRequest, callback: grpc.requestCallback<_palyra_v1_DispatchInfo__Output>): grpc.ClientUnaryCall;
  
  GetStatus(argument: _palyra_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_DaemonStatus__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _palyra_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_DaemonStatus__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _palyra_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_DaemonStatus__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _palyra_v1_GetStatusRequest, callback: grpc.requestCallback<_palyra_v1_DaemonStatus__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _palyra_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_DaemonStatus__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _palyra_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_DaemonStatus__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _palyra_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_DaemonStatus__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _palyra_v1_GetStatusRequest, callback: grpc.requestCallback<_palyra_v1_DaemonStatus__Output>): grpc.ClientUnaryCall;
  
  /**
   * Dispatches one capability request and streams its progress until the result. Cancelling
   * the call cancels the dispatch on the node.
   */
  Invoke(argument: _palyra_v1_InvokeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_InvokeEvent__Output>;
  Invoke(argument: _palyra_v1_InvokeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_InvokeEvent__Output>;
  /**
   * Dispatches one capability request and streams its progress until the result. Cancelling
   * the call cancels the dispatch on the node.
   */
  invoke(argument: _palyra_v1_InvokeRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_InvokeEvent__Output>;
  invoke(argument: _palyra_v1_InvokeRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_InvokeEvent__Output>;
  
  /**
   * Many invocations over one stream: each request carries a caller-chosen call id and every
   * event comes back tagged with it. A new stream per call costs more than the dispatch itself
   * (see docs/performance.md); clients that dispatch often keep one of these open.
   */
  InvokeMany(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_InvokeManyRequest, _palyra_v1_InvokeManyEvent__Output>;
  InvokeMany(options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_InvokeManyRequest, _palyra_v1_InvokeManyEvent__Output>;
  /**
   * Many invocations over one stream: each request carries a caller-chosen call id and every
   * event comes back tagged with it. A new stream per call costs more than the dispatch itself
   * (see docs/performance.md); clients that dispatch often keep one of these open.
   */
  invokeMany(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_InvokeManyRequest, _palyra_v1_InvokeManyEvent__Output>;
  invokeMany(options?: grpc.CallOptions): grpc.ClientDuplexStream<_palyra_v1_InvokeManyRequest, _palyra_v1_InvokeManyEvent__Output>;
  
  /**
   * Sets and removes the operator's labels of one node (they take precedence over the labels
   * the node declares, and survive its re-registration).
   */
  LabelNode(argument: _palyra_v1_LabelNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  LabelNode(argument: _palyra_v1_LabelNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  LabelNode(argument: _palyra_v1_LabelNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  LabelNode(argument: _palyra_v1_LabelNodeRequest, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  /**
   * Sets and removes the operator's labels of one node (they take precedence over the labels
   * the node declares, and survive its re-registration).
   */
  labelNode(argument: _palyra_v1_LabelNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  labelNode(argument: _palyra_v1_LabelNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  labelNode(argument: _palyra_v1_LabelNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  labelNode(argument: _palyra_v1_LabelNodeRequest, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * The audit log, oldest first from after_seq, filtered; and a check of its hash chain.
   */
  ListAudit(argument: _palyra_v1_ListAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _palyra_v1_ListAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _palyra_v1_ListAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _palyra_v1_ListAuditRequest, callback: grpc.requestCallback<_palyra_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The audit log, oldest first from after_seq, filtered; and a check of its hash chain.
   */
  listAudit(argument: _palyra_v1_ListAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _palyra_v1_ListAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _palyra_v1_ListAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _palyra_v1_ListAuditRequest, callback: grpc.requestCallback<_palyra_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The dispatch journal, newest first: the daemon's live dispatches and the finished ones it
   * keeps (see docs/cli.md, `palyrad dispatches`, for retention and the idempotency window).
   */
  ListDispatches(argument: _palyra_v1_ListDispatchesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListDispatchesResponse__Output>): grpc.ClientUnaryCall;
  ListDispatches(argument: _palyra_v1_ListDispatchesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_ListDispatchesResponse__Output>): grpc.ClientUnaryCall;
  ListDispatches(argument: _palyra_v1_ListDispatchesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListDispatchesResponse__Output>): grpc.ClientUnaryCall;
  ListDispatches(argument: _palyra_v1_ListDispatchesRequest, callback: grpc.requestCallback<_palyra_v1_ListDispatchesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The dispatch journal, newest first: the daemon's live dispatches and the finished ones it
   * keeps (see docs/cli.md, `palyrad dispatches`, for retention and the idempotency window).
   */
  listDispatches(argument: _palyra_v1_ListDispatchesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListDispatchesResponse__Output>): grpc.ClientUnaryCall;
  listDispatches(argument: _palyra_v1_ListDispatchesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_ListDispatchesResponse__Output>): grpc.ClientUnaryCall;
  listDispatches(argument: _palyra_v1_ListDispatchesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListDispatchesResponse__Output>): grpc.ClientUnaryCall;
  listDispatches(argument: _palyra_v1_ListDispatchesRequest, callback: grpc.requestCallback<_palyra_v1_ListDispatchesResponse__Output>): grpc.ClientUnaryCall;
  
  ListNodes(argument: _palyra_v1_ListNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _palyra_v1_ListNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _palyra_v1_ListNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _palyra_v1_ListNodesRequest, callback: grpc.requestCallback<_palyra_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _palyra_v1_ListNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _palyra_v1_ListNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _palyra_v1_ListNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _palyra_v1_ListNodesRequest, callback: grpc.requestCallback<_palyra_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  
  ListPending(argument: _palyra_v1_ListPendingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListPendingResponse__Output>): grpc.ClientUnaryCall;
  ListPending(argument: _palyra_v1_ListPendingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_ListPendingResponse__Output>): grpc.ClientUnaryCall;
  ListPending(argument: _palyra_v1_ListPendingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListPendingResponse__Output>): grpc.ClientUnaryCall;
  ListPending(argument: _palyra_v1_ListPendingRequest, callback: grpc.requestCallback<_palyra_v1_ListPendingResponse__Output>): grpc.ClientUnaryCall;
  listPending(argument: _palyra_v1_ListPendingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListPendingResponse__Output>): grpc.ClientUnaryCall;
  listPending(argument: _palyra_v1_ListPendingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_ListPendingResponse__Output>): grpc.ClientUnaryCall;
  listPending(argument: _palyra_v1_ListPendingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListPendingResponse__Output>): grpc.ClientUnaryCall;
  listPending(argument: _palyra_v1_ListPendingRequest, callback: grpc.requestCallback<_palyra_v1_ListPendingResponse__Output>): grpc.ClientUnaryCall;
  
  ListTokens(argument: _palyra_v1_ListTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  ListTokens(argument: _palyra_v1_ListTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  ListTokens(argument: _palyra_v1_ListTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  ListTokens(argument: _palyra_v1_ListTokensRequest, callback: grpc.requestCallback<_palyra_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  listTokens(argument: _palyra_v1_ListTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  listTokens(argument: _palyra_v1_ListTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  listTokens(argument: _palyra_v1_ListTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  listTokens(argument: _palyra_v1_ListTokensRequest, callback: grpc.requestCallback<_palyra_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveNode(argument: _palyra_v1_RemoveNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _palyra_v1_RemoveNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _palyra_v1_RemoveNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _palyra_v1_RemoveNodeRequest, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _palyra_v1_RemoveNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _palyra_v1_RemoveNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _palyra_v1_RemoveNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _palyra_v1_RemoveNodeRequest, callback: grpc.requestCallback<_palyra_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * Asks online nodes to renew their certificate now (DaemonMessage.renew on their Session).
   */
  RenewNodes(argument: _palyra_v1_RenewNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_RenewNodesResponse__Output>): grpc.ClientUnaryCall;
  RenewNodes(argument: _palyra_v1_RenewNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_RenewNodesResponse__Output>): grpc.ClientUnaryCall;
  RenewNodes(argument: _palyra_v1_RenewNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_RenewNodesResponse__Output>): grpc.ClientUnaryCall;
  RenewNodes(argument: _palyra_v1_RenewNodesRequest, callback: grpc.requestCallback<_palyra_v1_RenewNodesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Asks online nodes to renew their certificate now (DaemonMessage.renew on their Session).
   */
  renewNodes(argument: _palyra_v1_RenewNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_RenewNodesResponse__Output>): grpc.ClientUnaryCall;
  renewNodes(argument: _palyra_v1_RenewNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_RenewNodesResponse__Output>): grpc.ClientUnaryCall;
  renewNodes(argument: _palyra_v1_RenewNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_RenewNodesResponse__Output>): grpc.ClientUnaryCall;
  renewNodes(argument: _palyra_v1_RenewNodesRequest, callback: grpc.requestCallback<_palyra_v1_RenewNodesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Takes effect at once: calls and open streams of the token end with PALYRA_E_UNAUTHENTICATED.
   */
  RevokeToken(argument: _palyra_v1_RevokeTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_TokenInfo__Output>): grpc.ClientUnaryCall;
  RevokeToken(argument: _palyra_v1_RevokeTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_TokenInfo__Output>): grpc.ClientUnaryCall;
  RevokeToken(argument: _palyra_v1_RevokeTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_TokenInfo__Output>): grpc.ClientUnaryCall;
  RevokeToken(argument: _palyra_v1_RevokeTokenRequest, callback: grpc.requestCallback<_palyra_v1_TokenInfo__Output>): grpc.ClientUnaryCall;
  /**
   * Takes effect at once: calls and open streams of the token end with PALYRA_E_UNAUTHENTICATED.
   */
  revokeToken(argument: _palyra_v1_RevokeTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_TokenInfo__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _palyra_v1_RevokeTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_TokenInfo__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _palyra_v1_RevokeTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_TokenInfo__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _palyra_v1_RevokeTokenRequest, callback: grpc.requestCallback<_palyra_v1_TokenInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * CA rotation (docs/security.md): begins one (a new signing CA; both trusted), shows where it
   * stands, and ends it (the old CA retired once no registered node depends on it, or --force).
   */
  RotateCa(argument: _palyra_v1_RotateCaRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  RotateCa(argument: _palyra_v1_RotateCaRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  RotateCa(argument: _palyra_v1_RotateCaRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  RotateCa(argument: _palyra_v1_RotateCaRequest, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  /**
   * CA rotation (docs/security.md): begins one (a new signing CA; both trusted), shows where it
   * stands, and ends it (the old CA retired once no registered node depends on it, or --force).
   */
  rotateCa(argument: _palyra_v1_RotateCaRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  rotateCa(argument: _palyra_v1_RotateCaRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  rotateCa(argument: _palyra_v1_RotateCaRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  rotateCa(argument: _palyra_v1_RotateCaRequest, callback: grpc.requestCallback<_palyra_v1_CaStatus__Output>): grpc.ClientUnaryCall;
  
  /**
   * Streams daemon events (dispatch state changes, nodes online/offline, pairing requests)
   * as they happen, until cancelled. The same events nodes follow over QUIC (node.stream_events).
   */
  StreamEvents(argument: _palyra_v1_StreamEventsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_DaemonEventMessage__Output>;
  StreamEvents(argument: _palyra_v1_StreamEventsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_DaemonEventMessage__Output>;
  /**
   * Streams daemon events (dispatch state changes, nodes online/offline, pairing requests)
   * as they happen, until cancelled. The same events nodes follow over QUIC (node.stream_events).
   */
  streamEvents(argument: _palyra_v1_StreamEventsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_DaemonEventMessage__Output>;
  streamEvents(argument: _palyra_v1_StreamEventsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_DaemonEventMessage__Output>;
  
  VerifyAudit(argument: _palyra_v1_VerifyAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_AuditVerification__Output>): grpc.ClientUnaryCall;
  VerifyAudit(argument: _palyra_v1_VerifyAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_AuditVerification__Output>): grpc.ClientUnaryCall;
  VerifyAudit(argument: _palyra_v1_VerifyAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_AuditVerification__Output>): grpc.ClientUnaryCall;
  VerifyAudit(argument: _palyra_v1_VerifyAuditRequest, callback: grpc.requestCallback<_palyra_v1_AuditVerification__Output>): grpc.ClientUnaryCall;
  verifyAudit(argument: _palyra_v1_VerifyAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_AuditVerification__Output>): grpc.ClientUnaryCall;
  verifyAudit(argument: _palyra_v1_VerifyAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_AuditVerification__Output>): grpc.ClientUnaryCall;
  verifyAudit(argument: _palyra_v1_VerifyAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_AuditVerification__Output>): grpc.ClientUnaryCall;
  verifyAudit(argument: _palyra_v1_VerifyAuditRequest, callback: grpc.requestCallback<_palyra_v1_AuditVerification__Output>): grpc.ClientUnaryCall;
  
  /**
   * Follows the approval queue live: first a snapshot (pending requests and nodes), then one
   * event per change as it happens (request added or decided, node online or offline) until
   * the caller cancels. Feeds `palyrad approvals`.
   */
  WatchApprovals(argument: _palyra_v1_WatchApprovalsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_ApprovalsEvent__Output>;
  WatchApprovals(argument: _palyra_v1_WatchApprovalsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_ApprovalsEvent__Output>;
  /**
   * Follows the approval queue live: first a snapshot (pending requests and nodes), then one
   * event per change as it happens (request added or decided, node online or offline) until
   * the caller cancels. Feeds `palyrad approvals`.
   */
  watchApprovals(argument: _palyra_v1_WatchApprovalsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_ApprovalsEvent__Output>;
  watchApprovals(argument: _palyra_v1_WatchApprovalsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_ApprovalsEvent__Output>;
  
  /**
   * Re-attaches to a dispatch by id: Invoke's events from where it stands (accepted with
   * deduplicated set, its state, live output, the result); a finished one sends its recorded
   * result at once. Cancelling the call leaves the dispatch running.
   */
  WatchDispatch(argument: _palyra_v1_GetDispatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_InvokeEvent__Output>;
  WatchDispatch(argument: _palyra_v1_GetDispatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_InvokeEvent__Output>;
  /**
   * Re-attaches to a dispatch by id: Invoke's events from where it stands (accepted with
   * deduplicated set, its state, live output, the result); a finished one sends its recorded
   * result at once. Cancelling the call leaves the dispatch running.
   */
  watchDispatch(argument: _palyra_v1_GetDispatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_InvokeEvent__Output>;
  watchDispatch(argument: _palyra_v1_GetDispatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_palyra_v1_InvokeEvent__Output>;
  
  /**
   * Who the caller is to the daemon: the local owner (admin socket) or an API token, with the
   * permissions its role and scopes grant. Any authenticated caller may ask.
   */
  WhoAmI(argument: _palyra_v1_WhoAmIRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  WhoAmI(argument: _palyra_v1_WhoAmIRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  WhoAmI(argument: _palyra_v1_WhoAmIRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  WhoAmI(argument: _palyra_v1_WhoAmIRequest, callback: grpc.requestCallback<_palyra_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Who the caller is to the daemon: the local owner (admin socket) or an API token, with the
   * permissions its role and scopes grant. Any authenticated caller may ask.
   */
  whoAmI(argument: _palyra_v1_WhoAmIRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  whoAmI(argument: _palyra_v1_WhoAmIRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_palyra_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  whoAmI(argument: _palyra_v1_WhoAmIRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_palyra_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  whoAmI(argument: _palyra_v1_WhoAmIRequest, callback: grpc.requestCallback<_palyra_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Local operators reach AdminService on a Unix socket in the daemon's state dir (0600).
 */
export interface AdminServiceHandlers extends grpc.UntypedServiceImplementation {
  CancelDispatch: grpc.handleUnaryCall<_palyra_v1_CancelDispatchRequest__Output, _palyra_v1_CancelDispatchResponse>;
  
  CreatePairingCode: grpc.handleUnaryCall<_palyra_v1_CreatePairingCodeRequest__Output, _palyra_v1_PairingCode>;
  
  /**
   * API tokens for remote operators and programs (docs/security.md). The secret is in the
   * CreateToken answer only; the daemon keeps its hash.
   */
  CreateToken: grpc.handleUnaryCall<_palyra_v1_CreateTokenRequest__Output, _palyra_v1_CreatedToken>;
  
  Decide: grpc.handleUnaryCall<_palyra_v1_DecideRequest__Output, _palyra_v1_PendingRequest>;
  
  /**
   * Everything known about one node: labels with their source, capabilities with schemas,
   * certificate, transport, health, last dispatches.
   */
  DescribeNode: grpc.handleUnaryCall<_palyra_v1_DescribeNodeRequest__Output, _palyra_v1_NodeDescription>;
  
  FinishCaRotation: grpc.handleUnaryCall<_palyra_v1_FinishCaRotationRequest__Output, _palyra_v1_FinishCaRotationResponse>;
  
  GetCaStatus: grpc.handleUnaryCall<_palyra_v1_GetCaStatusRequest__Output, _palyra_v1_CaStatus>;
  
  GetDispatch: grpc.handleUnaryCall<_palyra_v1_GetDispatchRequest__Output, _palyra_v1_DispatchInfo>;
  
  GetStatus: grpc.handleUnaryCall<_palyra_v1_GetStatusRequest__Output, _palyra_v1_DaemonStatus>;
  
  /**
   * Dispatches one capability request and streams its progress until the result. Cancelling
   * the call cancels the dispatch on the node.
   */
  Invoke: grpc.handleServerStreamingCall<_palyra_v1_InvokeRequest__Output, _palyra_v1_InvokeEvent>;
  
  /**
   * Many invocations over one stream: each request carries a caller-chosen call id and every
   * event comes back tagged with it. A new stream per call costs more than the dispatch itself
   * (see docs/performance.md); clients that dispatch often keep one of these open.
   */
  InvokeMany: grpc.handleBidiStreamingCall<_palyra_v1_InvokeManyRequest__Output, _palyra_v1_InvokeManyEvent>;
  
  /**
   * Sets and removes the operator's labels of one node (they take precedence over the labels
   * the node declares, and survive its re-registration).
   */
  LabelNode: grpc.handleUnaryCall<_palyra_v1_LabelNodeRequest__Output, _palyra_v1_NodeInfo>;
  
  /**
   * The audit log, oldest first from after_seq, filtered; and a check of its hash chain.
   */
  ListAudit: grpc.handleUnaryCall<_palyra_v1_ListAuditRequest__Output, _palyra_v1_ListAuditResponse>;
  
  /**
   * The dispatch journal, newest first: the daemon's live dispatches and the finished ones it
   * keeps (see docs/cli.md, `palyrad dispatches`, for retention and the idempotency window).
   */
  ListDispatches: grpc.handleUnaryCall<_palyra_v1_ListDispatchesRequest__Output, _palyra_v1_ListDispatchesResponse>;
  
  ListNodes: grpc.handleUnaryCall<_palyra_v1_ListNodesRequest__Output, _palyra_v1_ListNodesResponse>;
  
  ListPending: grpc.handleUnaryCall<_palyra_v1_ListPendingRequest__Output, _palyra_v1_ListPendingResponse>;
  
  ListTokens: grpc.handleUnaryCall<_palyra_v1_ListTokensRequest__Output, _palyra_v1_ListTokensResponse>;
  
  RemoveNode: grpc.handleUnaryCall<_palyra_v1_RemoveNodeRequest__Output, _palyra_v1_NodeInfo>;
  
  /**
   * Asks online nodes to renew their certificate now (DaemonMessage.renew on their Session).
   */
  RenewNodes: grpc.handleUnaryCall<_palyra_v1_RenewNodesRequest__Output, _palyra_v1_RenewNodesResponse>;
  
  /**
   * Takes effect at once: calls and open streams of the token end with PALYRA_E_UNAUTHENTICATED.
   */
  RevokeToken: grpc.handleUnaryCall<_palyra_v1_RevokeTokenRequest__Output, _palyra_v1_TokenInfo>;
  
  /**
   * CA rotation (docs/security.md): begins one (a new signing CA; both trusted), shows where it
   * stands, and ends it (the old CA retired once no registered node depends on it, or --force).
   */
  RotateCa: grpc.handleUnaryCall<_palyra_v1_RotateCaRequest__Output, _palyra_v1_CaStatus>;
  
  /**
   * Streams daemon events (dispatch state changes, nodes online/offline, pairing requests)
   * as they happen, until cancelled. The same events nodes follow over QUIC (node.stream_events).
   */
  StreamEvents: grpc.handleServerStreamingCall<_palyra_v1_StreamEventsRequest__Output, _palyra_v1_DaemonEventMessage>;
  
  VerifyAudit: grpc.handleUnaryCall<_palyra_v1_VerifyAuditRequest__Output, _palyra_v1_AuditVerification>;
  
  /**
   * Follows the approval queue live: first a snapshot (pending requests and nodes), then one
   * event per change as it happens (request added or decided, node online or offline) until
   * the caller cancels. Feeds `palyrad approvals`.
   */
  WatchApprovals: grpc.handleServerStreamingCall<_palyra_v1_WatchApprovalsRequest__Output, _palyra_v1_ApprovalsEvent>;
  
  /**
   * Re-attaches to a dispatch by id: Invoke's events from where it stands (accepted with
   * deduplicated set, its state, live output, the result); a finished one sends its recorded
   * result at once. Cancelling the call leaves the dispatch running.
   */
  WatchDispatch: grpc.handleServerStreamingCall<_palyra_v1_GetDispatchRequest__Output, _palyra_v1_InvokeEvent>;
  
  /**
   * Who the caller is to the daemon: the local owner (admin socket) or an API token, with the
   * permissions its role and scopes grant. Any authenticated caller may ask.
   */
  WhoAmI: grpc.handleUnaryCall<_palyra_v1_WhoAmIRequest__Output, _palyra_v1_WhoAmIResponse>;
  
}

export interface AdminServiceDefinition extends grpc.ServiceDefinition {
  CancelDispatch: MethodDefinition<_palyra_v1_CancelDispatchRequest, _palyra_v1_CancelDispatchResponse, _palyra_v1_CancelDispatchRequest__Output, _palyra_v1_CancelDispatchResponse__Output>
  CreatePairingCode: MethodDefinition<_palyra_v1_CreatePairingCodeRequest, _palyra_v1_PairingCode, _palyra_v1_CreatePairingCodeRequest__Output, _palyra_v1_PairingCode__Output>
  CreateToken: MethodDefinition<_palyra_v1_CreateTokenRequest, _palyra_v1_CreatedToken, _palyra_v1_CreateTokenRequest__Output, _palyra_v1_CreatedToken__Output>
  Decide: MethodDefinition<_palyra_v1_DecideRequest, _palyra_v1_PendingRequest, _palyra_v1_DecideRequest__Output, _palyra_v1_PendingRequest__Output>
  DescribeNode: MethodDefinition<_palyra_v1_DescribeNodeRequest, _palyra_v1_NodeDescription, _palyra_v1_DescribeNodeRequest__Output, _palyra_v1_NodeDescription__Output>
  FinishCaRotation: MethodDefinition<_palyra_v1_FinishCaRotationRequest, _palyra_v1_FinishCaRotationResponse, _palyra_v1_FinishCaRotationRequest__Output, _palyra_v1_FinishCaRotationResponse__Output>
  GetCaStatus: MethodDefinition<_palyra_v1_GetCaStatusRequest, _palyra_v1_CaStatus, _palyra_v1_GetCaStatusRequest__Output, _palyra_v1_CaStatus__Output>
  GetDispatch: MethodDefinition<_palyra_v1_GetDispatchRequest, _palyra_v1_DispatchInfo, _palyra_v1_GetDispatchRequest__Output, _palyra_v1_DispatchInfo__Output>
  GetStatus: MethodDefinition<_palyra_v1_GetStatusRequest, _palyra_v1_DaemonStatus, _palyra_v1_GetStatusRequest__Output, _palyra_v1_DaemonStatus__Output>
  Invoke: MethodDefinition<_palyra_v1_InvokeRequest, _palyra_v1_InvokeEvent, _palyra_v1_InvokeRequest__Output, _palyra_v1_InvokeEvent__Output>
  InvokeMany: MethodDefinition<_palyra_v1_InvokeManyRequest, _palyra_v1_InvokeManyEvent, _palyra_v1_InvokeManyRequest__Output, _palyra_v1_InvokeManyEvent__Output>
  LabelNode: MethodDefinition<_palyra_v1_LabelNodeRequest, _palyra_v1_NodeInfo, _palyra_v1_LabelNodeRequest__Output, _palyra_v1_NodeInfo__Output>
  ListAudit: MethodDefinition<_palyra_v1_ListAuditRequest, _palyra_v1_ListAuditResponse, _palyra_v1_ListAuditRequest__Output, _palyra_v1_ListAuditResponse__Output>
  ListDispatches: MethodDefinition<_palyra_v1_ListDispatchesRequest, _palyra_v1_ListDispatchesResponse, _palyra_v1_ListDispatchesRequest__Output, _palyra_v1_ListDispatchesResponse__Output>
  ListNodes: MethodDefinition<_palyra_v1_ListNodesRequest, _palyra_v1_ListNodesResponse, _palyra_v1_ListNodesRequest__Output, _palyra_v1_ListNodesResponse__Output>
  ListPending: MethodDefinition<_palyra_v1_ListPendingRequest, _palyra_v1_ListPendingResponse, _palyra_v1_ListPendingRequest__Output, _palyra_v1_ListPendingResponse__Output>
  ListTokens: MethodDefinition<_palyra_v1_ListTokensRequest, _palyra_v1_ListTokensResponse, _palyra_v1_ListTokensRequest__Output, _palyra_v1_ListTokensResponse__Output>
  RemoveNode: MethodDefinition<_palyra_v1_RemoveNodeRequest, _palyra_v1_NodeInfo, _palyra_v1_RemoveNodeRequest__Output, _palyra_v1_NodeInfo__Output>
  RenewNodes: MethodDefinition<_palyra_v1_RenewNodesRequest, _palyra_v1_RenewNodesResponse, _palyra_v1_RenewNodesRequest__Output, _palyra_v1_RenewNodesResponse__Output>
  RevokeToken: MethodDefinition<_palyra_v1_RevokeTokenRequest, _palyra_v1_TokenInfo, _palyra_v1_RevokeTokenRequest__Output, _palyra_v1_TokenInfo__Output>
  RotateCa: MethodDefinition<_palyra_v1_RotateCaRequest, _palyra_v1_CaStatus, _palyra_v1_RotateCaRequest__Output, _palyra_v1_CaStatus__Output>
  StreamEvents: MethodDefinition<_palyra_v1_StreamEventsRequest, _palyra_v1_DaemonEventMessage, _palyra_v1_StreamEventsRequest__Output, _palyra_v1_DaemonEventMessage__Output>
  VerifyAudit: MethodDefinition<_palyra_v1_VerifyAuditRequest, _palyra_v1_AuditVerification, _palyra_v1_VerifyAuditRequest__Output, _palyra_v1_AuditVerification__Output>
  WatchApprovals: MethodDefinition<_palyra_v1_WatchApprovalsRequest, _palyra_v1_ApprovalsEvent, _palyra_v1_WatchApprovalsRequest__Output, _palyra_v1_ApprovalsEvent__Output>
  WatchDispatch: MethodDefinition<_palyra_v1_GetDispatchRequest, _palyra_v1_InvokeEvent, _palyra_v1_GetDispatchRequest__Output, _palyra_v1_InvokeEvent__Output>
  WhoAmI: MethodDefinition<_palyra_v1_WhoAmIRequest, _palyra_v1_WhoAmIResponse, _palyra_v1_WhoAmIRequest__Output, _palyra_v1_WhoAmIResponse__Output>
}
