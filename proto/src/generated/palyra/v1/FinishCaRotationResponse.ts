// Original file: proto/palyra/v1/admin.proto

import type { CutOffNode as _palyra_v1_CutOffNode, CutOffNode__Output as _palyra_v1_CutOffNode__Output } from '../../palyra/v1/CutOffNode.js';
import type { CaStatus as _palyra_v1_CaStatus, CaStatus__Output as _palyra_v1_CaStatus__Output } from '../../palyra/v1/CaStatus.js';

export interface FinishCaRotationResponse {
  'retiredFingerprint'?: (string);
  'cutOff'?: (_palyra_v1_CutOffNode)[];
  'status'?: (_palyra_v1_CaStatus | null);
}

export interface FinishCaRotationResponse__Output {
  'retiredFingerprint': (string);
  'cutOff': (_palyra_v1_CutOffNode__Output)[];
  'status': (_palyra_v1_CaStatus__Output | null);
}
