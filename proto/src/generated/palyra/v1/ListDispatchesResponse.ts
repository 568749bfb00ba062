// Original file: proto/palyra/v1/admin.proto

import type { DispatchInfo as _palyra_v1_DispatchInfo, DispatchInfo__Output as _palyra_v1_DispatchInfo__Output } from '../../palyra/v1/DispatchInfo.js';

export interface ListDispatchesResponse {
  'dispatches'?: (_palyra_v1_DispatchInfo)[];
}

export interface ListDispatchesResponse__Output {
  'dispatches': (_palyra_v1_DispatchInfo__Output)[];
}
