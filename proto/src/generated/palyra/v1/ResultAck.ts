// Original file: proto/palyra/v1/node.proto


/**
 * The daemon stored this result (or knows it already): the node may drop it from its outbox.
 */
export interface ResultAck {
  'dispatchId'?: (string);
}

/**
 * The daemon stored this result (or knows it already): the node may drop it from its outbox.
 */
export interface ResultAck__Output {
  'dispatchId': (string);
}
