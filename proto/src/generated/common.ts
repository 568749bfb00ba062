import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Capability as _palyra_v1_Capability, Capability__Output as _palyra_v1_Capability__Output } from './palyra/v1/Capability.js';
import type { ErrorInfo as _palyra_v1_ErrorInfo, ErrorInfo__Output as _palyra_v1_ErrorInfo__Output } from './palyra/v1/ErrorInfo.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  palyra: {
    v1: {
      Capability: MessageTypeDefinition<_palyra_v1_Capability, _palyra_v1_Capability__Output>
      ErrorInfo: MessageTypeDefinition<_palyra_v1_ErrorInfo, _palyra_v1_ErrorInfo__Output>
    }
  }
}

