// Original file: proto/palyra/v1/admin.proto


export interface ListNodesRequest {
  /**
   * a label selector (docs/cli.md "Selectors"); "" for every node
   */
  'selector'?: (string);
  /**
   * 0: the daemon's default (500); at most 5000
   */
  'pageSize'?: (number);
  /**
   * next_page_token of the previous page; "" for the first
   */
  'pageToken'?: (string);
}

export interface ListNodesRequest__Output {
  /**
   * a label selector (docs/cli.md "Selectors"); "" for every node
   */
  'selector': (string);
  /**
   * 0: the daemon's default (500); at most 5000
   */
  'pageSize': (number);
  /**
   * next_page_token of the previous page; "" for the first
   */
  'pageToken': (string);
}
