import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Capability as _palyra_v1_Capability, Capability__Output as _palyra_v1_Capability__Output } from './palyra/v1/Capability.js';
import type { DaemonConfirm as _palyra_v1_DaemonConfirm, DaemonConfirm__Output as _palyra_v1_DaemonConfirm__Output } from './palyra/v1/DaemonConfirm.js';
import type { ErrorInfo as _palyra_v1_ErrorInfo, ErrorInfo__Output as _palyra_v1_ErrorInfo__Output } from './palyra/v1/ErrorInfo.js';
import type { GetPairingInfoRequest as _palyra_v1_GetPairingInfoRequest, GetPairingInfoRequest__Output as _palyra_v1_GetPairingInfoRequest__Output } from './palyra/v1/GetPairingInfoRequest.js';
import type { NodeConfirm as _palyra_v1_NodeConfirm, NodeConfirm__Output as _palyra_v1_NodeConfirm__Output } from './palyra/v1/NodeConfirm.js';
import type { PairClientMessage as _palyra_v1_PairClientMessage, PairClientMessage__Output as _palyra_v1_PairClientMessage__Output } from './palyra/v1/PairClientMessage.js';
import type { PairDecision as _palyra_v1_PairDecision, PairDecision__Output as _palyra_v1_PairDecision__Output } from './palyra/v1/PairDecision.js';
import type { PairHello as _palyra_v1_PairHello, PairHello__Output as _palyra_v1_PairHello__Output } from './palyra/v1/PairHello.js';
import type { PairServerHello as _palyra_v1_PairServerHello, PairServerHello__Output as _palyra_v1_PairServerHello__Output } from './palyra/v1/PairServerHello.js';
import type { PairServerMessage as _palyra_v1_PairServerMessage, PairServerMessage__Output as _palyra_v1_PairServerMessage__Output } from './palyra/v1/PairServerMessage.js';
import type { PairShare as _palyra_v1_PairShare, PairShare__Output as _palyra_v1_PairShare__Output } from './palyra/v1/PairShare.js';
import type { PairingInfo as _palyra_v1_PairingInfo, PairingInfo__Output as _palyra_v1_PairingInfo__Output } from './palyra/v1/PairingInfo.js';
import type { PairingServiceClient as _palyra_v1_PairingServiceClient, PairingServiceDefinition as _palyra_v1_PairingServiceDefinition } from './palyra/v1/PairingService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  palyra: {
    v1: {
      Capability: MessageTypeDefinition<_palyra_v1_Capability, _palyra_v1_Capability__Output>
      DaemonConfirm: MessageTypeDefinition<_palyra_v1_DaemonConfirm, _palyra_v1_DaemonConfirm__Output>
      ErrorInfo: MessageTypeDefinition<_palyra_v1_ErrorInfo, _palyra_v1_ErrorInfo__Output>
      GetPairingInfoRequest: MessageTypeDefinition<_palyra_v1_GetPairingInfoRequest, _palyra_v1_GetPairingInfoRequest__Output>
      NodeConfirm: MessageTypeDefinition<_palyra_v1_NodeConfirm, _palyra_v1_NodeConfirm__Output>
      PairClientMessage: MessageTypeDefinition<_palyra_v1_PairClientMessage, _palyra_v1_PairClientMessage__Output>
      PairDecision: MessageTypeDefinition<_palyra_v1_PairDecision, _palyra_v1_PairDecision__Output>
      PairHello: MessageTypeDefinition<_palyra_v1_PairHello, _palyra_v1_PairHello__Output>
      PairServerHello: MessageTypeDefinition<_palyra_v1_PairServerHello, _palyra_v1_PairServerHello__Output>
      PairServerMessage: MessageTypeDefinition<_palyra_v1_PairServerMessage, _palyra_v1_PairServerMessage__Output>
      PairShare: MessageTypeDefinition<_palyra_v1_PairShare, _palyra_v1_PairShare__Output>
      PairingInfo: MessageTypeDefinition<_palyra_v1_PairingInfo, _palyra_v1_PairingInfo__Output>
      PairingMethod: EnumTypeDefinition
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
      PairingService: SubtypeConstructor<typeof grpc.Client, _palyra_v1_PairingServiceClient> & { service: _palyra_v1_PairingServiceDefinition }
    }
  }
}

