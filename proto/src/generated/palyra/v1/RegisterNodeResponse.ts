// Original file: proto/palyra/v1/node.proto


export interface RegisterNodeResponse {
  'certExpiresAt'?: (string);
  'daemonVersion'?: (string);
  /**
   * The daemon's QUIC endpoint (HOST:PORT; a wildcard host means "the host you dialled"),
   * empty when QUIC is disabled.
   */
  'quicAddress'?: (string);
  /**
   * The CAs the node must trust (PEM bundle); empty from a daemon older than renewal. A node
   * that does not trust all of them yet stores the bundle and says so with a TrustAck.
   */
  'caBundlePem'?: (string);
}

export interface RegisterNodeResponse__Output {
  'certExpiresAt': (string);
  'daemonVersion': (string);
  /**
   * The daemon's QUIC endpoint (HOST:PORT; a wildcard host means "the host you dialled"),
   * empty when QUIC is disabled.
   */
  'quicAddress': (string);
  /**
   * The CAs the node must trust (PEM bundle); empty from a daemon older than renewal. A node
   * that does not trust all of them yet stores the bundle and says so with a TrustAck.
   */
  'caBundlePem': (string);
}
