// Original file: proto/palyra/v1/pairing.proto


export interface DaemonConfirm {
  /**
   * HMAC over the transcript with the daemon's confirmation key
   */
  'mac'?: (Buffer | Uint8Array | string);
  'requestId'?: (string);
  /**
   * this identity key is already known to the daemon
   */
  'repair'?: (boolean);
}

export interface DaemonConfirm__Output {
  /**
   * HMAC over the transcript with the daemon's confirmation key
   */
  'mac': (Buffer);
  'requestId': (string);
  /**
   * this identity key is already known to the daemon
   */
  'repair': (boolean);
}
