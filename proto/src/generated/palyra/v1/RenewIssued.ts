// Original file: proto/palyra/v1/node.proto


export interface RenewIssued {
  'certDer'?: (Buffer | Uint8Array | string);
  'certExpiresAt'?: (string);
  /**
   * PEM of every CA the node must trust from now on (the current CA, and the next one during
   * a CA rotation).
   */
  'caBundlePem'?: (string);
}

export interface RenewIssued__Output {
  'certDer': (Buffer);
  'certExpiresAt': (string);
  /**
   * PEM of every CA the node must trust from now on (the current CA, and the next one during
   * a CA rotation).
   */
  'caBundlePem': (string);
}
