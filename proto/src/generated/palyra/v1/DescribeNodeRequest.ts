// Original file: proto/palyra/v1/admin.proto


export interface DescribeNodeRequest {
  /**
   * a device id, a unique prefix of one, or a node name
   */
  'node'?: (string);
  /**
   * how many of its last dispatches (default 10, at most 100)
   */
  'dispatches'?: (number);
}

export interface DescribeNodeRequest__Output {
  /**
   * a device id, a unique prefix of one, or a node name
   */
  'node': (string);
  /**
   * how many of its last dispatches (default 10, at most 100)
   */
  'dispatches': (number);
}
