// Original file: proto/palyra/v1/admin.proto

import type { InvokeEvent as _palyra_v1_InvokeEvent, InvokeEvent__Output as _palyra_v1_InvokeEvent__Output } from '../../palyra/v1/InvokeEvent.js';
import type { ErrorInfo as _palyra_v1_ErrorInfo, ErrorInfo__Output as _palyra_v1_ErrorInfo__Output } from '../../palyra/v1/ErrorInfo.js';

export interface InvokeManyEvent {
  'callId'?: (number);
  /**
   * unset when the call was refused
   */
  'event'?: (_palyra_v1_InvokeEvent | null);
  /**
   * the daemon refused the call outright (the call has ended)
   */
  'refused'?: (_palyra_v1_ErrorInfo | null);
}

export interface InvokeManyEvent__Output {
  'callId': (number);
  /**
   * unset when the call was refused
   */
  'event': (_palyra_v1_InvokeEvent__Output | null);
  /**
   * the daemon refused the call outright (the call has ended)
   */
  'refused': (_palyra_v1_ErrorInfo__Output | null);
}
