// Original file: proto/palyra/v1/admin.proto


export interface WatchApprovalsRequest {
  /**
   * nodes per snapshot message; 0: the daemon's default (500)
   */
  'pageSize'?: (number);
  /**
   * nodes of the snapshot and the events: those matching; "" for all
   */
  'selector'?: (string);
}

export interface WatchApprovalsRequest__Output {
  /**
   * nodes per snapshot message; 0: the daemon's default (500)
   */
  'pageSize': (number);
  /**
   * nodes of the snapshot and the events: those matching; "" for all
   */
  'selector': (string);
}
