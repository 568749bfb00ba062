// Original file: proto/palyra/v1/node.proto


export interface CancelDispatch {
  'dispatchId'?: (string);
  'reason'?: (string);
}

export interface CancelDispatch__Output {
  'dispatchId': (string);
  'reason': (string);
}
