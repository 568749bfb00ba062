// Original file: proto/palyra/v1/admin.proto


export interface InvokeAccepted {
  'dispatchId'?: (string);
  /**
   * an earlier dispatch with the same idempotency key
   */
  'deduplicated'?: (boolean);
}

export interface InvokeAccepted__Output {
  'dispatchId': (string);
  /**
   * an earlier dispatch with the same idempotency key
   */
  'deduplicated': (boolean);
}
