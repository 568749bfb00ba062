// Original file: proto/palyra/v1/admin.proto


export interface DecideRequest {
  /**
   * request id or device id
   */
  'id'?: (string);
  'approve'?: (boolean);
  /**
   * approve an identity change (PALYRA_E_IDENTITY_CHANGE without it)
   */
  'replaceIdentity'?: (boolean);
}

export interface DecideRequest__Output {
  /**
   * request id or device id
   */
  'id': (string);
  'approve': (boolean);
  /**
   * approve an identity change (PALYRA_E_IDENTITY_CHANGE without it)
   */
  'replaceIdentity': (boolean);
}
