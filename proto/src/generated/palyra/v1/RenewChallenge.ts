// Original file: proto/palyra/v1/node.proto


export interface RenewChallenge {
  /**
   * 32 random bytes, valid for this stream only.
   */
  'nonce'?: (Buffer | Uint8Array | string);
  /**
   * "mtls" (authenticated by the current certificate) or "grace" (expired certificate).
   */
  'path'?: (string);
}

export interface RenewChallenge__Output {
  /**
   * 32 random bytes, valid for this stream only.
   */
  'nonce': (Buffer);
  /**
   * "mtls" (authenticated by the current certificate) or "grace" (expired certificate).
   */
  'path': (string);
}
