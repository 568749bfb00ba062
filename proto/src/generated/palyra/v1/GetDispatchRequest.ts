// Original file: proto/palyra/v1/admin.proto


export interface GetDispatchRequest {
  'dispatchId'?: (string);
}

export interface GetDispatchRequest__Output {
  'dispatchId': (string);
}
