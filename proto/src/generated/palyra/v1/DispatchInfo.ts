// Original file: proto/palyra/v1/admin.proto

import type { InvokeResult as _palyra_v1_InvokeResult, InvokeResult__Output as _palyra_v1_InvokeResult__Output } from '../../palyra/v1/InvokeResult.js';

export interface DispatchInfo {
  'dispatchId'?: (string);
  'deviceId'?: (string);
  'capability'?: (string);
  /**
   * local: the admin socket
   */
  'caller'?: (string);
  'idempotencyKey'?: (string);
  /**
   * SHA-256 (hex) of the capability and the input JSON; empty without an idempotency key
   */
  'inputHash'?: (string);
  /**
   * queued | sent | running | one of InvokeResult.status
   */
  'state'?: (string);
  /**
   * ISO-8601
   */
  'createdAt'?: (string);
  'deadlineAt'?: (string);
  /**
   * empty until sent
   */
  'sentAt'?: (string);
  /**
   * empty until finished
   */
  'finishedAt'?: (string);
  /**
   * set once finished
   */
  'result'?: (_palyra_v1_InvokeResult | null);
  /**
   * the journal kept the result without its output (too large)
   */
  'resultTruncated'?: (boolean);
}

export interface DispatchInfo__Output {
  'dispatchId': (string);
  'deviceId': (string);
  'capability': (string);
  /**
   * local: the admin socket
   */
  'caller': (string);
  'idempotencyKey': (string);
  /**
   * SHA-256 (hex) of the capability and the input JSON; empty without an idempotency key
   */
  'inputHash': (string);
  /**
   * queued | sent | running | one of InvokeResult.status
   */
  'state': (string);
  /**
   * ISO-8601
   */
  'createdAt': (string);
  'deadlineAt': (string);
  /**
   * empty until sent
   */
  'sentAt': (string);
  /**
   * empty until finished
   */
  'finishedAt': (string);
  /**
   * set once finished
   */
  'result': (_palyra_v1_InvokeResult__Output | null);
  /**
   * the journal kept the result without its output (too large)
   */
  'resultTruncated': (boolean);
}
