// Original file: proto/palyra/v1/pairing.proto

import type { PairingMethod as _palyra_v1_PairingMethod, PairingMethod__Output as _palyra_v1_PairingMethod__Output } from '../../palyra/v1/PairingMethod.js';

export interface PairHello {
  /**
   * "palyra-pair/1"
   */
  'protocol'?: (string);
  'method'?: (_palyra_v1_PairingMethod);
  /**
   * 32 random bytes
   */
  'nonce'?: (Buffer | Uint8Array | string);
  /**
   * QR method only: which QR code (the token itself never travels)
   */
  'codeId'?: (string);
}

export interface PairHello__Output {
  /**
   * "palyra-pair/1"
   */
  'protocol': (string);
  'method': (_palyra_v1_PairingMethod__Output);
  /**
   * 32 random bytes
   */
  'nonce': (Buffer);
  /**
   * QR method only: which QR code (the token itself never travels)
   */
  'codeId': (string);
}
