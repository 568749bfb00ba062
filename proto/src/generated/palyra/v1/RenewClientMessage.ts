// Original file: proto/palyra/v1/node.proto

import type { RenewStart as _palyra_v1_RenewStart, RenewStart__Output as _palyra_v1_RenewStart__Output } from '../../palyra/v1/RenewStart.js';
import type { RenewProof as _palyra_v1_RenewProof, RenewProof__Output as _palyra_v1_RenewProof__Output } from '../../palyra/v1/RenewProof.js';

export interface RenewClientMessage {
  'start'?: (_palyra_v1_RenewStart | null);
  'proof'?: (_palyra_v1_RenewProof | null);
  'body'?: "start"|"proof";
}

export interface RenewClientMessage__Output {
  'start'?: (_palyra_v1_RenewStart__Output | null);
  'proof'?: (_palyra_v1_RenewProof__Output | null);
  'body'?: "start"|"proof";
}
