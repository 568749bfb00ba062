// Original file: proto/palyra/v1/pairing.proto


export interface PairingInfo {
  /**
   * "palyra-pair/1"
   */
  'protocol'?: (string);
  'caCertDer'?: (Buffer | Uint8Array | string);
  'daemonVersion'?: (string);
}

export interface PairingInfo__Output {
  /**
   * "palyra-pair/1"
   */
  'protocol': (string);
  'caCertDer': (Buffer);
  'daemonVersion': (string);
}
