// Original file: proto/palyra/v1/admin.proto


export interface DecideRequest {
  /**
   * request id or device id
   */
  'id'?: (string);
  'approve'?: (boolean);
}

export interface DecideRequest__Output {
  /**
   * request id or device id
   */
  'id': (string);
  'approve': (boolean);
}
