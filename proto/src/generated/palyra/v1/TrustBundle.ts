// Original file: proto/palyra/v1/node.proto


/**
 * The CAs the node must trust from now on (a CA rotation began or ended): the node stores the
 * bundle in its vault and answers with a TrustAck.
 */
export interface TrustBundle {
  'caBundlePem'?: (string);
}

/**
 * The CAs the node must trust from now on (a CA rotation began or ended): the node stores the
 * bundle in its vault and answers with a TrustAck.
 */
export interface TrustBundle__Output {
  'caBundlePem': (string);
}
