// Original file: proto/palyra/v1/admin.proto


export interface ListDispatchesRequest {
  /**
   * empty: every node
   */
  'deviceId'?: (string);
  /**
   * only queued, sent or running ones
   */
  'unfinished'?: (boolean);
  /**
   * 0: 100; at most 10,000
   */
  'limit'?: (number);
}

export interface ListDispatchesRequest__Output {
  /**
   * empty: every node
   */
  'deviceId': (string);
  /**
   * only queued, sent or running ones
   */
  'unfinished': (boolean);
  /**
   * 0: 100; at most 10,000
   */
  'limit': (number);
}
