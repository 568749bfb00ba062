// Original file: proto/palyra/v1/admin.proto


export interface CreatePairingCodeRequest {
  /**
   * "pin" | "qr"
   */
  'method'?: (string);
  'ttlSeconds'?: (number);
}

export interface CreatePairingCodeRequest__Output {
  /**
   * "pin" | "qr"
   */
  'method': (string);
  'ttlSeconds': (number);
}
