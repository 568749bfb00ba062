import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminServiceClient as _palyra_v1_AdminServiceClient, AdminServiceDefinition as _palyra_v1_AdminServiceDefinition } from './palyra/v1/AdminService.js';
import type { ApprovalsEvent as _palyra_v1_ApprovalsEvent, ApprovalsEvent__Output as _palyra_v1_ApprovalsEvent__Output } from './palyra/v1/ApprovalsEvent.js';
import type { ApprovalsSnapshot as _palyra_v1_ApprovalsSnapshot, ApprovalsSnapshot__Output as _palyra_v1_ApprovalsSnapshot__Output } from './palyra/v1/ApprovalsSnapshot.js';
import type { AuditVerification as _palyra_v1_AuditVerification, AuditVerification__Output as _palyra_v1_AuditVerification__Output } from './palyra/v1/AuditVerification.js';
import type { CaInfo as _palyra_v1_CaInfo, CaInfo__Output as _palyra_v1_CaInfo__Output } from './palyra/v1/CaInfo.js';
import type { CaStatus as _palyra_v1_CaStatus, CaStatus__Output as _palyra_v1_CaStatus__Output } from './palyra/v1/CaStatus.js';
import type { CancelDispatchRequest as _palyra_v1_CancelDispatchRequest, CancelDispatchRequest__Output as _palyra_v1_CancelDispatchRequest__Output } from './palyra/v1/CancelDispatchRequest.js';
import type { CancelDispatchResponse as _palyra_v1_CancelDispatchResponse, CancelDispatchResponse__Output as _palyra_v1_CancelDispatchResponse__Output } from './palyra/v1/CancelDispatchResponse.js';
import type { Capability as _palyra_v1_Capability, Capability__Output as _palyra_v1_Capability__Output } from './palyra/v1/Capability.js';
import type { CertificateCounts as _palyra_v1_CertificateCounts, CertificateCounts__Output as _palyra_v1_CertificateCounts__Output } from './palyra/v1/CertificateCounts.js';
import type { CreatePairingCodeRequest as _palyra_v1_CreatePairingCodeRequest, CreatePairingCodeRequest__Output as _palyra_v1_CreatePairingCodeRequest__Output } from './palyra/v1/CreatePairingCodeRequest.js';
import type { CreateTokenRequest as _palyra_v1_CreateTokenRequest, CreateTokenRequest__Output as _palyra_v1_CreateTokenRequest__Output } from './palyra/v1/CreateTokenRequest.js';
import type { CreatedToken as _palyra_v1_CreatedToken, CreatedToken__Output as _palyra_v1_CreatedToken__Output } from './palyra/v1/CreatedToken.js';
import type { CutOffNode as _palyra_v1_CutOffNode, CutOffNode__Output as _palyra_v1_CutOffNode__Output } from './palyra/v1/CutOffNode.js';
import type { DaemonEventMessage as _palyra_v1_DaemonEventMessage, DaemonEventMessage__Output as _palyra_v1_DaemonEventMessage__Output } from './palyra/v1/DaemonEventMessage.js';
import type { DaemonStatus as _palyra_v1_DaemonStatus, DaemonStatus__Output as _palyra_v1_DaemonStatus__Output } from './palyra/v1/DaemonStatus.js';
import type { DecideRequest as _palyra_v1_DecideRequest, DecideRequest__Output as _palyra_v1_DecideRequest__Output } from './palyra/v1/DecideRequest.js';
import type { DescribeNodeRequest as _palyra_v1_DescribeNodeRequest, DescribeNodeRequest__Output as _palyra_v1_DescribeNodeRequest__Output } from './palyra/v1/DescribeNodeRequest.js';
import type { DispatchInfo as _palyra_v1_DispatchInfo, DispatchInfo__Output as _palyra_v1_DispatchInfo__Output } from './palyra/v1/DispatchInfo.js';
import type { ErrorInfo as _palyra_v1_ErrorInfo, ErrorInfo__Output as _palyra_v1_ErrorInfo__Output } from './palyra/v1/ErrorInfo.js';
import type { FinishCaRotationRequest as _palyra_v1_FinishCaRotationRequest, FinishCaRotationRequest__Output as _palyra_v1_FinishCaRotationRequest__Output } from './palyra/v1/FinishCaRotationRequest.js';
import type { FinishCaRotationResponse as _palyra_v1_FinishCaRotationResponse, FinishCaRotationResponse__Output as _palyra_v1_FinishCaRotationResponse__Output } from './palyra/v1/FinishCaRotationResponse.js';
import type { GetCaStatusRequest as _palyra_v1_GetCaStatusRequest, GetCaStatusRequest__Output as _palyra_v1_GetCaStatusRequest__Output } from './palyra/v1/GetCaStatusRequest.js';
import type { GetDispatchRequest as _palyra_v1_GetDispatchRequest, GetDispatchRequest__Output as _palyra_v1_GetDispatchRequest__Output } from './palyra/v1/GetDispatchRequest.js';
import type { GetStatusRequest as _palyra_v1_GetStatusRequest, GetStatusRequest__Output as _palyra_v1_GetStatusRequest__Output } from './palyra/v1/GetStatusRequest.js';
import type { InvokeAccepted as _palyra_v1_InvokeAccepted, InvokeAccepted__Output as _palyra_v1_InvokeAccepted__Output } from './palyra/v1/InvokeAccepted.js';
import type { InvokeEvent as _palyra_v1_InvokeEvent, InvokeEvent__Output as _palyra_v1_InvokeEvent__Output } from './palyra/v1/InvokeEvent.js';
import type { InvokeManyCancel as _palyra_v1_InvokeManyCancel, InvokeManyCancel__Output as _palyra_v1_InvokeManyCancel__Output } from './palyra/v1/InvokeManyCancel.js';
import type { InvokeManyEvent as _palyra_v1_InvokeManyEvent, InvokeManyEvent__Output as _palyra_v1_InvokeManyEvent__Output } from './palyra/v1/InvokeManyEvent.js';
import type { InvokeManyRequest as _palyra_v1_InvokeManyRequest, InvokeManyRequest__Output as _palyra_v1_InvokeManyRequest__Output } from './palyra/v1/InvokeManyRequest.js';
import type { InvokeOutput as _palyra_v1_InvokeOutput, InvokeOutput__Output as _palyra_v1_InvokeOutput__Output } from './palyra/v1/InvokeOutput.js';
import type { InvokeProgress as _palyra_v1_InvokeProgress, InvokeProgress__Output as _palyra_v1_InvokeProgress__Output } from './palyra/v1/InvokeProgress.js';
import type { InvokeRequest as _palyra_v1_InvokeRequest, InvokeRequest__Output as _palyra_v1_InvokeRequest__Output } from './palyra/v1/InvokeRequest.js';
import type { InvokeResult as _palyra_v1_InvokeResult, InvokeResult__Output as _palyra_v1_InvokeResult__Output } from './palyra/v1/InvokeResult.js';
import type { InvokeState as _palyra_v1_InvokeState, InvokeState__Output as _palyra_v1_InvokeState__Output } from './palyra/v1/InvokeState.js';
import type { LabelNodeRequest as _palyra_v1_LabelNodeRequest, LabelNodeRequest__Output as _palyra_v1_LabelNodeRequest__Output } from './palyra/v1/LabelNodeRequest.js';
import type { ListAuditRequest as _palyra_v1_ListAuditRequest, ListAuditRequest__Output as _palyra_v1_ListAuditRequest__Output } from './palyra/v1/ListAuditRequest.js';
import type { ListAuditResponse as _palyra_v1_ListAuditResponse, ListAuditResponse__Output as _palyra_v1_ListAuditResponse__Output } from './palyra/v1/ListAuditResponse.js';
import type { ListDispatchesRequest as _palyra_v1_ListDispatchesRequest, ListDispatchesRequest__Output as _palyra_v1_ListDispatchesRequest__Output } from './palyra/v1/ListDispatchesRequest.js';
import type { ListDispatchesResponse as _palyra_v1_ListDispatchesResponse, ListDispatchesResponse__Output as _palyra_v1_ListDispatchesResponse__Output } from './palyra/v1/ListDispatchesResponse.js';
import type { ListNodesRequest as _palyra_v1_ListNodesRequest, ListNodesRequest__Output as _palyra_v1_ListNodesRequest__Output } from './palyra/v1/ListNodesRequest.js';
import type { ListNodesResponse as _palyra_v1_ListNodesResponse, ListNodesResponse__Output as _palyra_v1_ListNodesResponse__Output } from './palyra/v1/ListNodesResponse.js';
import type { ListPendingRequest as _palyra_v1_ListPendingRequest, ListPendingRequest__Output as _palyra_v1_ListPendingRequest__Output } from './palyra/v1/ListPendingRequest.js';
import type { ListPendingResponse as _palyra_v1_ListPendingResponse, ListPendingResponse__Output as _palyra_v1_ListPendingResponse__Output } from './palyra/v1/ListPendingResponse.js';
import type { ListTokensRequest as _palyra_v1_ListTokensRequest, ListTokensRequest__Output as _palyra_v1_ListTokensRequest__Output } from './palyra/v1/ListTokensRequest.js';
import type { ListTokensResponse as _palyra_v1_ListTokensResponse, ListTokensResponse__Output as _palyra_v1_ListTokensResponse__Output } from './palyra/v1/ListTokensResponse.js';
import type { NodeDescription as _palyra_v1_NodeDescription, NodeDescription__Output as _palyra_v1_NodeDescription__Output } from './palyra/v1/NodeDescription.js';
import type { NodeInfo as _palyra_v1_NodeInfo, NodeInfo__Output as _palyra_v1_NodeInfo__Output } from './palyra/v1/NodeInfo.js';
import type { NodeStatusEvent as _palyra_v1_NodeStatusEvent, NodeStatusEvent__Output as _palyra_v1_NodeStatusEvent__Output } from './palyra/v1/NodeStatusEvent.js';
import type { PairingCode as _palyra_v1_PairingCode, PairingCode__Output as _palyra_v1_PairingCode__Output } from './palyra/v1/PairingCode.js';
import type { PendingRequest as _palyra_v1_PendingRequest, PendingRequest__Output as _palyra_v1_PendingRequest__Output } from './palyra/v1/PendingRequest.js';
import type { RemoveNodeRequest as _palyra_v1_RemoveNodeRequest, RemoveNodeRequest__Output as _palyra_v1_RemoveNodeRequest__Output } from './palyra/v1/RemoveNodeRequest.js';
import type { RenewNodesRequest as _palyra_v1_RenewNodesRequest, RenewNodesRequest__Output as _palyra_v1_RenewNodesRequest__Output } from './palyra/v1/RenewNodesRequest.js';
import type { RenewNodesResponse as _palyra_v1_RenewNodesResponse, RenewNodesResponse__Output as _palyra_v1_RenewNodesResponse__Output } from './palyra/v1/RenewNodesResponse.js';
import type { RenewTarget as _palyra_v1_RenewTarget, RenewTarget__Output as _palyra_v1_RenewTarget__Output } from './palyra/v1/RenewTarget.js';
import type { RevokeTokenRequest as _palyra_v1_RevokeTokenRequest, RevokeTokenRequest__Output as _palyra_v1_RevokeTokenRequest__Output } from './palyra/v1/RevokeTokenRequest.js';
import type { RotateCaRequest as _palyra_v1_RotateCaRequest, RotateCaRequest__Output as _palyra_v1_RotateCaRequest__Output } from './palyra/v1/RotateCaRequest.js';
import type { StreamEventsRequest as _palyra_v1_StreamEventsRequest, StreamEventsRequest__Output as _palyra_v1_StreamEventsRequest__Output } from './palyra/v1/StreamEventsRequest.js';
import type { TokenInfo as _palyra_v1_TokenInfo, TokenInfo__Output as _palyra_v1_TokenInfo__Output } from './palyra/v1/TokenInfo.js';
import type { VerifyAuditRequest as _palyra_v1_VerifyAuditRequest, VerifyAuditRequest__Output as _palyra_v1_VerifyAuditRequest__Output } from './palyra/v1/VerifyAuditRequest.js';
import type { WatchApprovalsRequest as _palyra_v1_WatchApprovalsRequest, WatchApprovalsRequest__Output as _palyra_v1_WatchApprovalsRequest__Output } from './palyra/v1/WatchApprovalsRequest.js';
import type { WhoAmIRequest as _palyra_v1_WhoAmIRequest, WhoAmIRequest__Output as _palyra_v1_WhoAmIRequest__Output } from './palyra/v1/WhoAmIRequest.js';
import type { WhoAmIResponse as _palyra_v1_WhoAmIResponse, WhoAmIResponse__Output as _palyra_v1_WhoAmIResponse__Output } from './palyra/v1/WhoAmIResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  palyra: {
    v1: {
      /**
       * Local operators reach AdminService on a Unix socket in the daemon's state dir (0600).
       */
      AdminService: SubtypeConstructor<typeof grpc.Client, _palyra_v1_AdminServiceClient> & { service: _palyra_v1_AdminServiceDefinition }
      ApprovalsEvent: MessageTypeDefinition<_palyra_v1_ApprovalsEvent, _palyra_v1_ApprovalsEvent__Output>
      ApprovalsSnapshot: MessageTypeDefinition<_palyra_v1_ApprovalsSnapshot, _palyra_v1_ApprovalsSnapshot__Output>
      AuditVerification: MessageTypeDefinition<_palyra_v1_AuditVerification, _palyra_v1_AuditVerification__Output>
      CaInfo: MessageTypeDefinition<_palyra_v1_CaInfo, _palyra_v1_CaInfo__Output>
      CaStatus: MessageTypeDefinition<_palyra_v1_CaStatus, _palyra_v1_CaStatus__Output>
      CancelDispatchRequest: MessageTypeDefinition<_palyra_v1_CancelDispatchRequest, _palyra_v1_CancelDispatchRequest__Output>
      CancelDispatchResponse: MessageTypeDefinition<_palyra_v1_CancelDispatchResponse, _palyra_v1_CancelDispatchResponse__Output>
      Capability: MessageTypeDefinition<_palyra_v1_Capability, _palyra_v1_Capability__Output>
      CertificateCounts: MessageTypeDefinition<_palyra_v1_CertificateCounts, _palyra_v1_CertificateCounts__Output>
      CreatePairingCodeRequest: MessageTypeDefinition<_palyra_v1_CreatePairingCodeRequest, _palyra_v1_CreatePairingCodeRequest__Output>
      CreateTokenRequest: MessageTypeDefinition<_palyra_v1_CreateTokenRequest, _palyra_v1_CreateTokenRequest__Output>
      CreatedToken: MessageTypeDefinition<_palyra_v1_CreatedToken, _palyra_v1_CreatedToken__Output>
      CutOffNode: MessageTypeDefinition<_palyra_v1_CutOffNode, _palyra_v1_CutOffNode__Output>
      DaemonEventMessage: MessageTypeDefinition<_palyra_v1_DaemonEventMessage, _palyra_v1_DaemonEventMessage__Output>
      DaemonStatus: MessageTypeDefinition<_palyra_v1_DaemonStatus, _palyra_v1_DaemonStatus__Output>
      DecideRequest: MessageTypeDefinition<_palyra_v1_DecideRequest, _palyra_v1_DecideRequest__Output>
      DescribeNodeRequest: MessageTypeDefinition<_palyra_v1_DescribeNodeRequest, _palyra_v1_DescribeNodeRequest__Output>
      DispatchInfo: MessageTypeDefinition<_palyra_v1_DispatchInfo, _palyra_v1_DispatchInfo__Output>
      ErrorInfo: MessageTypeDefinition<_palyra_v1_ErrorInfo, _palyra_v1_ErrorInfo__Output>
      FinishCaRotationRequest: MessageTypeDefinition<_palyra_v1_FinishCaRotationRequest, _palyra_v1_FinishCaRotationRequest__Output>
      FinishCaRotationResponse: MessageTypeDefinition<_palyra_v1_FinishCaRotationResponse, _palyra_v1_FinishCaRotationResponse__Output>
      GetCaStatusRequest: MessageTypeDefinition<_palyra_v1_GetCaStatusRequest, _palyra_v1_GetCaStatusRequest__Output>
      GetDispatchRequest: MessageTypeDefinition<_palyra_v1_GetDispatchRequest, _palyra_v1_GetDispatchRequest__Output>
      GetStatusRequest: MessageTypeDefinition<_palyra_v1_GetStatusRequest, _palyra_v1_GetStatusRequest__Output>
      InvokeAccepted: MessageTypeDefinition<_palyra_v1_InvokeAccepted, _palyra_v1_InvokeAccepted__Output>
      InvokeEvent: MessageTypeDefinition<_palyra_v1_InvokeEvent, _palyra_v1_InvokeEvent__Output>
      InvokeManyCancel: MessageTypeDefinition<_palyra_v1_InvokeManyCancel, _palyra_v1_InvokeManyCancel__Output>
      InvokeManyEvent: MessageTypeDefinition<_palyra_v1_InvokeManyEvent, _palyra_v1_InvokeManyEvent__Output>
      InvokeManyRequest: MessageTypeDefinition<_palyra_v1_InvokeManyRequest, _palyra_v1_InvokeManyRequest__Output>
      InvokeOutput: MessageTypeDefinition<_palyra_v1_InvokeOutput, _palyra_v1_InvokeOutput__Output>
      InvokeProgress: MessageTypeDefinition<_palyra_v1_InvokeProgress, _palyra_v1_InvokeProgress__Output>
      InvokeRequest: MessageTypeDefinition<_palyra_v1_InvokeRequest, _palyra_v1_InvokeRequest__Output>
      InvokeResult: MessageTypeDefinition<_palyra_v1_InvokeResult, _palyra_v1_InvokeResult__Output>
      InvokeState: MessageTypeDefinition<_palyra_v1_InvokeState, _palyra_v1_InvokeState__Output>
      LabelNodeRequest: MessageTypeDefinition<_palyra_v1_LabelNodeRequest, _palyra_v1_LabelNodeRequest__Output>
      ListAuditRequest: MessageTypeDefinition<_palyra_v1_ListAuditRequest, _palyra_v1_ListAuditRequest__Output>
      ListAuditResponse: MessageTypeDefinition<_palyra_v1_ListAuditResponse, _palyra_v1_ListAuditResponse__Output>
      ListDispatchesRequest: MessageTypeDefinition<_palyra_v1_ListDispatchesRequest, _palyra_v1_ListDispatchesRequest__Output>
      ListDispatchesResponse: MessageTypeDefinition<_palyra_v1_ListDispatchesResponse, _palyra_v1_ListDispatchesResponse__Output>
      ListNodesRequest: MessageTypeDefinition<_palyra_v1_ListNodesRequest, _palyra_v1_ListNodesRequest__Output>
      ListNodesResponse: MessageTypeDefinition<_palyra_v1_ListNodesResponse, _palyra_v1_ListNodesResponse__Output>
      ListPendingRequest: MessageTypeDefinition<_palyra_v1_ListPendingRequest, _palyra_v1_ListPendingRequest__Output>
      ListPendingResponse: MessageTypeDefinition<_palyra_v1_ListPendingResponse, _palyra_v1_ListPendingResponse__Output>
      ListTokensRequest: MessageTypeDefinition<_palyra_v1_ListTokensRequest, _palyra_v1_ListTokensRequest__Output>
      ListTokensResponse: MessageTypeDefinition<_palyra_v1_ListTokensResponse, _palyra_v1_ListTokensResponse__Output>
      NodeDescription: MessageTypeDefinition<_palyra_v1_NodeDescription, _palyra_v1_NodeDescription__Output>
      NodeInfo: MessageTypeDefinition<_palyra_v1_NodeInfo, _palyra_v1_NodeInfo__Output>
      NodeStatusEvent: MessageTypeDefinition<_palyra_v1_NodeStatusEvent, _palyra_v1_NodeStatusEvent__Output>
      PairingCode: MessageTypeDefinition<_palyra_v1_PairingCode, _palyra_v1_PairingCode__Output>
      PendingRequest: MessageTypeDefinition<_palyra_v1_PendingRequest, _palyra_v1_PendingRequest__Output>
      RemoveNodeRequest: MessageTypeDefinition<_palyra_v1_RemoveNodeRequest, _palyra_v1_RemoveNodeRequest__Output>
      RenewNodesRequest: MessageTypeDefinition<_palyra_v1_RenewNodesRequest, _palyra_v1_RenewNodesRequest__Output>
      RenewNodesResponse: MessageTypeDefinition<_palyra_v1_RenewNodesResponse, _palyra_v1_RenewNodesResponse__Output>
      RenewTarget: MessageTypeDefinition<_palyra_v1_RenewTarget, _palyra_v1_RenewTarget__Output>
      RevokeTokenRequest: MessageTypeDefinition<_palyra_v1_RevokeTokenRequest, _palyra_v1_RevokeTokenRequest__Output>
      RotateCaRequest: MessageTypeDefinition<_palyra_v1_RotateCaRequest, _palyra_v1_RotateCaRequest__Output>
      StreamEventsRequest: MessageTypeDefinition<_palyra_v1_StreamEventsRequest, _palyra_v1_StreamEventsRequest__Output>
      TokenInfo: MessageTypeDefinition<_palyra_v1_TokenInfo, _palyra_v1_TokenInfo__Output>
      VerifyAuditRequest: MessageTypeDefinition<_palyra_v1_VerifyAuditRequest, _palyra_v1_VerifyAuditRequest__Output>
      WatchApprovalsRequest: MessageTypeDefinition<_palyra_v1_WatchApprovalsRequest, _palyra_v1_WatchApprovalsRequest__Output>
      WhoAmIRequest: MessageTypeDefinition<_palyra_v1_WhoAmIRequest, _palyra_v1_WhoAmIRequest__Output>
      WhoAmIResponse: MessageTypeDefinition<_palyra_v1_WhoAmIResponse, _palyra_v1_WhoAmIResponse__Output>
    }
  }
}

