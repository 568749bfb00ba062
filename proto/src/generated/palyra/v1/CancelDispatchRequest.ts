// Original file: proto/palyra/v1/admin.proto


export interface CancelDispatchRequest {
  'dispatchId'?: (string);
}

export interface CancelDispatchRequest__Output {
  'dispatchId': (string);
}
