// Original file: proto/palyra/v1/admin.proto


export interface CancelDispatchResponse {
  /**
   * false when it had already finished
   */
  'cancelled'?: (boolean);
}

export interface CancelDispatchResponse__Output {
  /**
   * false when it had already finished
   */
  'cancelled': (boolean);
}
