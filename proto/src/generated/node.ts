import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CancelDispatch as _palyra_v1_CancelDispatch, CancelDispatch__Output as _palyra_v1_CancelDispatch__Output } from './palyra/v1/CancelDispatch.js';
import type { Capability as _palyra_v1_Capability, Capability__Output as _palyra_v1_Capability__Output } from './palyra/v1/Capability.js';
import type { DaemonMessage as _palyra_v1_DaemonMessage, DaemonMessage__Output as _palyra_v1_DaemonMessage__Output } from './palyra/v1/DaemonMessage.js';
import type { Dispatch as _palyra_v1_Dispatch, Dispatch__Output as _palyra_v1_Dispatch__Output } from './palyra/v1/Dispatch.js';
import type { DispatchOutput as _palyra_v1_DispatchOutput, DispatchOutput__Output as _palyra_v1_DispatchOutput__Output } from './palyra/v1/DispatchOutput.js';
import type { DispatchResult as _palyra_v1_DispatchResult, DispatchResult__Output as _palyra_v1_DispatchResult__Output } from './palyra/v1/DispatchResult.js';
import type { DispatchStarted as _palyra_v1_DispatchStarted, DispatchStarted__Output as _palyra_v1_DispatchStarted__Output } from './palyra/v1/DispatchStarted.js';
import type { ErrorInfo as _palyra_v1_ErrorInfo, ErrorInfo__Output as _palyra_v1_ErrorInfo__Output } from './palyra/v1/ErrorInfo.js';
import type { HealthPing as _palyra_v1_HealthPing, HealthPing__Output as _palyra_v1_HealthPing__Output } from './palyra/v1/HealthPing.js';
import type { HealthPong as _palyra_v1_HealthPong, HealthPong__Output as _palyra_v1_HealthPong__Output } from './palyra/v1/HealthPong.js';
import type { HealthRequest as _palyra_v1_HealthRequest, HealthRequest__Output as _palyra_v1_HealthRequest__Output } from './palyra/v1/HealthRequest.js';
import type { HealthResponse as _palyra_v1_HealthResponse, HealthResponse__Output as _palyra_v1_HealthResponse__Output } from './palyra/v1/HealthResponse.js';
import type { NodeMessage as _palyra_v1_NodeMessage, NodeMessage__Output as _palyra_v1_NodeMessage__Output } from './palyra/v1/NodeMessage.js';
import type { NodeServiceClient as _palyra_v1_NodeServiceClient, NodeServiceDefinition as _palyra_v1_NodeServiceDefinition } from './palyra/v1/NodeService.js';
import type { RegisterNodeRequest as _palyra_v1_RegisterNodeRequest, RegisterNodeRequest__Output as _palyra_v1_RegisterNodeRequest__Output } from './palyra/v1/RegisterNodeRequest.js';
import type { RegisterNodeResponse as _palyra_v1_RegisterNodeResponse, RegisterNodeResponse__Output as _palyra_v1_RegisterNodeResponse__Output } from './palyra/v1/RegisterNodeResponse.js';
import type { RenewChallenge as _palyra_v1_RenewChallenge, RenewChallenge__Output as _palyra_v1_RenewChallenge__Output } from './palyra/v1/RenewChallenge.js';
import type { RenewClientMessage as _palyra_v1_RenewClientMessage, RenewClientMessage__Output as _palyra_v1_RenewClientMessage__Output } from './palyra/v1/RenewClientMessage.js';
import type { RenewIssued as _palyra_v1_RenewIssued, RenewIssued__Output as _palyra_v1_RenewIssued__Output } from './palyra/v1/RenewIssued.js';
import type { RenewNow as _palyra_v1_RenewNow, RenewNow__Output as _palyra_v1_RenewNow__Output } from './palyra/v1/RenewNow.js';
import type { RenewProof as _palyra_v1_RenewProof, RenewProof__Output as _palyra_v1_RenewProof__Output } from './palyra/v1/RenewProof.js';
import type { RenewServerMessage as _palyra_v1_RenewServerMessage, RenewServerMessage__Output as _palyra_v1_RenewServerMessage__Output } from './palyra/v1/RenewServerMessage.js';
import type { RenewStart as _palyra_v1_RenewStart, RenewStart__Output as _palyra_v1_RenewStart__Output } from './palyra/v1/RenewStart.js';
import type { ResultAck as _palyra_v1_ResultAck, ResultAck__Output as _palyra_v1_ResultAck__Output } from './palyra/v1/ResultAck.js';
import type { SessionHello as _palyra_v1_SessionHello, SessionHello__Output as _palyra_v1_SessionHello__Output } from './palyra/v1/SessionHello.js';
import type { SessionWelcome as _palyra_v1_SessionWelcome, SessionWelcome__Output as _palyra_v1_SessionWelcome__Output } from './palyra/v1/SessionWelcome.js';
import type { TrustAck as _palyra_v1_TrustAck, TrustAck__Output as _palyra_v1_TrustAck__Output } from './palyra/v1/TrustAck.js';
import type { TrustBundle as _palyra_v1_TrustBundle, TrustBundle__Output as _palyra_v1_TrustBundle__Output } from './palyra/v1/TrustBundle.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  palyra: {
    v1: {
      CancelDispatch: MessageTypeDefinition<_palyra_v1_CancelDispatch, _palyra_v1_CancelDispatch__Output>
      Capability: MessageTypeDefinition<_palyra_v1_Capability, _palyra_v1_Capability__Output>
      DaemonMessage: MessageTypeDefinition<_palyra_v1_DaemonMessage, _palyra_v1_DaemonMessage__Output>
      Dispatch: MessageTypeDefinition<_palyra_v1_Dispatch, _palyra_v1_Dispatch__Output>
      DispatchOutput: MessageTypeDefinition<_palyra_v1_DispatchOutput, _palyra_v1_DispatchOutput__Output>
      DispatchResult: MessageTypeDefinition<_palyra_v1_DispatchResult, _palyra_v1_DispatchResult__Output>
      DispatchStarted: MessageTypeDefinition<_palyra_v1_DispatchStarted, _palyra_v1_DispatchStarted__Output>
      ErrorInfo: MessageTypeDefinition<_palyra_v1_ErrorInfo, _palyra_v1_ErrorInfo__Output>
      HealthPing: MessageTypeDefinition<_palyra_v1_HealthPing, _palyra_v1_HealthPing__Output>
      HealthPong: MessageTypeDefinition<_palyra_v1_HealthPong, _palyra_v1_HealthPong__Output>
      HealthRequest: MessageTypeDefinition<_palyra_v1_HealthRequest, _palyra_v1_HealthRequest__Output>
      HealthResponse: MessageTypeDefinition<_palyra_v1_HealthResponse, _palyra_v1_HealthResponse__Output>
      NodeMessage: MessageTypeDefinition<_palyra_v1_NodeMessage, _palyra_v1_NodeMessage__Output>
      /**
       * Every NodeService RPC requires a valid, non-revoked client certificate issued by the
       * daemon's CA whose device id matches the device id in the request.
       */
      NodeService: SubtypeConstructor<typeof grpc.Client, _palyra_v1_NodeServiceClient> & { service: _palyra_v1_NodeServiceDefinition }
      RegisterNodeRequest: MessageTypeDefinition<_palyra_v1_RegisterNodeRequest, _palyra_v1_RegisterNodeRequest__Output>
      RegisterNodeResponse: MessageTypeDefinition<_palyra_v1_RegisterNodeResponse, _palyra_v1_RegisterNodeResponse__Output>
      RenewChallenge: MessageTypeDefinition<_palyra_v1_RenewChallenge, _palyra_v1_RenewChallenge__Output>
      RenewClientMessage: MessageTypeDefinition<_palyra_v1_RenewClientMessage, _palyra_v1_RenewClientMessage__Output>
      RenewIssued: MessageTypeDefinition<_palyra_v1_RenewIssued, _palyra_v1_RenewIssued__Output>
      RenewNow: MessageTypeDefinition<_palyra_v1_RenewNow, _palyra_v1_RenewNow__Output>
      RenewProof: MessageTypeDefinition<_palyra_v1_RenewProof, _palyra_v1_RenewProof__Output>
      RenewServerMessage: MessageTypeDefinition<_palyra_v1_RenewServerMessage, _palyra_v1_RenewServerMessage__Output>
      RenewStart: MessageTypeDefinition<_palyra_v1_RenewStart, _palyra_v1_RenewStart__Output>
      ResultAck: MessageTypeDefinition<_palyra_v1_ResultAck, _palyra_v1_ResultAck__Output>
      SessionHello: MessageTypeDefinition<_palyra_v1_SessionHello, _palyra_v1_SessionHello__Output>
      SessionWelcome: MessageTypeDefinition<_palyra_v1_SessionWelcome, _palyra_v1_SessionWelcome__Output>
      TrustAck: MessageTypeDefinition<_palyra_v1_TrustAck, _palyra_v1_TrustAck__Output>
      TrustBundle: MessageTypeDefinition<_palyra_v1_TrustBundle, _palyra_v1_TrustBundle__Output>
    }
  }
}

