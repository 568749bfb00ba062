// Original file: proto/palyra/v1/admin.proto


export interface InvokeState {
  /**
   * queued | sent | running
   */
  'state'?: (string);
}

export interface InvokeState__Output {
  /**
   * queued | sent | running
   */
  'state': (string);
}
