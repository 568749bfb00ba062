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
  /**
   * the code this exchange runs against (not secret)
   */
  'codeId'?: (string);
  /**
   * PIN hello without code_id only: superseded PINs still open to an exchange, newest first
   * (at most 3). A node tries these first, each on its own stream: a PIN cannot be named
   * without leaking it, and an exchange with a replaced PIN would otherwise spend one of the
   * active PIN's attempts. A proven superseded PIN is refused with PALYRA_E_PAIRING_NO_CODE.
   */
  'supersededCodeIds'?: (string)[];
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
  /**
   * the code this exchange runs against (not secret)
   */
  'codeId': (string);
  /**
   * PIN hello without code_id only: superseded PINs still open to an exchange, newest first
   * (at most 3). A node tries these first, each on its own stream: a PIN cannot be named
   * without leaking it, and an exchange with a replaced PIN would otherwise spend one of the
   * active PIN's attempts. A proven superseded PIN is refused with PALYRA_E_PAIRING_NO_CODE.
   */
  'supersededCodeIds': (string)[];
}
