// Original file: proto/palyra/v1/admin.proto


export interface FinishCaRotationRequest {
  /**
   * retire the old CA even if nodes depend on it (they are cut off)
   */
  'force'?: (boolean);
}

export interface FinishCaRotationRequest__Output {
  /**
   * retire the old CA even if nodes depend on it (they are cut off)
   */
  'force': (boolean);
}
