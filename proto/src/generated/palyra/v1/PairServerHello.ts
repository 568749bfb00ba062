// Original file: proto/palyra/v1/pairing.proto


export interface PairServerHello {
  /**
   * 32 random bytes
   */
  'nonce'?: (Buffer | Uint8Array | string);
  'caCertDer'?: (Buffer | Uint8Array | string);
  /**
   * PIN method: salt of the PIN hash both sides key CPace with
   */
  'pinSalt'?: (Buffer | Uint8Array | string);
  'daemonName'?: (string);
}

export interface PairServerHello__Output {
  /**
   * 32 random bytes
   */
  'nonce': (Buffer);
  'caCertDer': (Buffer);
  /**
   * PIN method: salt of the PIN hash both sides key CPace with
   */
  'pinSalt': (Buffer);
  'daemonName': (string);
}
