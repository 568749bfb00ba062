// Original file: proto/palyra/v1/node.proto


/**
 * The node accepted a dispatch and its capability is running.
 */
export interface DispatchStarted {
  'dispatchId'?: (string);
}

/**
 * The node accepted a dispatch and its capability is running.
 */
export interface DispatchStarted__Output {
  'dispatchId': (string);
}
