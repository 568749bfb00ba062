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
   * QR: which QR code (the token itself never travels). PIN: empty for the active PIN, or one
   * of the ids a server_hello listed (a superseded PIN, or the active one by its id): the
   * exchange runs against that code only, and only that code's attempts are spent.
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
   * QR: which QR code (the token itself never travels). PIN: empty for the active PIN, or one
   * of the ids a server_hello listed (a superseded PIN, or the active one by its id): the
   * exchange runs against that code only, and only that code's attempts are spent.
   */
  'codeId': (string);
}
