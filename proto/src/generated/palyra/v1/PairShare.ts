// Original file: proto/palyra/v1/pairing.proto


export interface PairShare {
  /**
   * CPace public share (32 bytes, X25519)
   */
  'share'?: (Buffer | Uint8Array | string);
}

export interface PairShare__Output {
  /**
   * CPace public share (32 bytes, X25519)
   */
  'share': (Buffer);
}
