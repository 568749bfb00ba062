// Original file: proto/palyra/v1/node.proto


/**
 * The node stored a trust bundle: the SHA-256 (lowercase hex) of every CA it now trusts.
 */
export interface TrustAck {
  'caFingerprints'?: (string)[];
}

/**
 * The node stored a trust bundle: the SHA-256 (lowercase hex) of every CA it now trusts.
 */
export interface TrustAck__Output {
  'caFingerprints': (string)[];
}
