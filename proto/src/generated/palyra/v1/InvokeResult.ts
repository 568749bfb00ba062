// Original file: proto/palyra/v1/admin.proto

import type { ErrorInfo as _palyra_v1_ErrorInfo, ErrorInfo__Output as _palyra_v1_ErrorInfo__Output } from '../../palyra/v1/ErrorInfo.js';

export interface InvokeResult {
  'dispatchId'?: (string);
  /**
   * succeeded | failed | timed_out | cancelled | node_unavailable | rejected | daemon_restarted | unknown
   */
  'status'?: (string);
  'outputJson'?: (string);
  'error'?: (_palyra_v1_ErrorInfo | null);
  'durationMs'?: (number);
}

export interface InvokeResult__Output {
  'dispatchId': (string);
  /**
   * succeeded | failed | timed_out | cancelled | node_unavailable | rejected | daemon_restarted | unknown
   */
  'status': (string);
  'outputJson': (string);
  'error': (_palyra_v1_ErrorInfo__Output | null);
  'durationMs': (number);
}
