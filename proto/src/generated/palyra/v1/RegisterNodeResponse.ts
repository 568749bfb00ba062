// Original file: proto/palyra/v1/node.proto


export interface RegisterNodeResponse {
  'certExpiresAt'?: (string);
  'daemonVersion'?: (string);
  /**
   * The daemon's QUIC endpoint (HOST:PORT; a wildcard host means "the host you dialled"),
   * empty when QUIC is disabled.
   */
  'quicAddress'?: (string);
}

export interface RegisterNodeResponse__Output {
  'certExpiresAt': (string);
  'daemonVersion': (string);
  /**
   * The daemon's QUIC endpoint (HOST:PORT; a wildcard host means "the host you dialled"),
   * empty when QUIC is disabled.
   */
  'quicAddress': (string);
}
