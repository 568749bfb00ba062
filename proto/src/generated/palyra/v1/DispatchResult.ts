// Original file: proto/palyra/v1/node.proto

import type { ErrorInfo as _palyra_v1_ErrorInfo, ErrorInfo__Output as _palyra_v1_ErrorInfo__Output } from '../../palyra/v1/ErrorInfo.js';

export interface DispatchResult {
  'dispatchId'?: (string);
  /**
   * succeeded | failed | timed_out | cancelled | rejected
   */
  'status'?: (string);
  'outputJson'?: (string);
  'error'?: (_palyra_v1_ErrorInfo | null);
}

export interface DispatchResult__Output {
  'dispatchId': (string);
  /**
   * succeeded | failed | timed_out | cancelled | rejected
   */
  'status': (string);
  'outputJson': (string);
  'error': (_palyra_v1_ErrorInfo__Output | null);
}
