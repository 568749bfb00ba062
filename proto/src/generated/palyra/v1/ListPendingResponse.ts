// Original file: proto/palyra/v1/admin.proto

import type { PendingRequest as _palyra_v1_PendingRequest, PendingRequest__Output as _palyra_v1_PendingRequest__Output } from '../../palyra/v1/PendingRequest.js';

export interface ListPendingResponse {
  'requests'?: (_palyra_v1_PendingRequest)[];
}

export interface ListPendingResponse__Output {
  'requests': (_palyra_v1_PendingRequest__Output)[];
}
