// Original file: proto/palyra/v1/admin.proto

import type { InvokeRequest as _palyra_v1_InvokeRequest, InvokeRequest__Output as _palyra_v1_InvokeRequest__Output } from '../../palyra/v1/InvokeRequest.js';
import type { InvokeManyCancel as _palyra_v1_InvokeManyCancel, InvokeManyCancel__Output as _palyra_v1_InvokeManyCancel__Output } from '../../palyra/v1/InvokeManyCancel.js';

export interface InvokeManyRequest {
  /**
   * unique among this stream's calls that have not ended
   */
  'callId'?: (number);
  'invoke'?: (_palyra_v1_InvokeRequest | null);
  'cancel'?: (_palyra_v1_InvokeManyCancel | null);
  /**
   * with invoke: send output, progress and result; skip accepted and state
   */
  'resultOnly'?: (boolean);
  'body'?: "invoke"|"cancel";
}

export interface InvokeManyRequest__Output {
  /**
   * unique among this stream's calls that have not ended
   */
  'callId': (number);
  'invoke'?: (_palyra_v1_InvokeRequest__Output | null);
  'cancel'?: (_palyra_v1_InvokeManyCancel__Output | null);
  /**
   * with invoke: send output, progress and result; skip accepted and state
   */
  'resultOnly': (boolean);
  'body'?: "invoke"|"cancel";
}
