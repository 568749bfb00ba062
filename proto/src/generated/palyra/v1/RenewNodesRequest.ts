// Original file: proto/palyra/v1/admin.proto


export interface RenewNodesRequest {
  /**
   * one node, or
   */
  'deviceId'?: (string);
  /**
   * every registered node (exactly one of the two)
   */
  'all'?: (boolean);
  /**
   * sent to the nodes (RenewNow.reason); empty: "asked by an operator"
   */
  'reason'?: (string);
}

export interface RenewNodesRequest__Output {
  /**
   * one node, or
   */
  'deviceId': (string);
  /**
   * every registered node (exactly one of the two)
   */
  'all': (boolean);
  /**
   * sent to the nodes (RenewNow.reason); empty: "asked by an operator"
   */
  'reason': (string);
}
