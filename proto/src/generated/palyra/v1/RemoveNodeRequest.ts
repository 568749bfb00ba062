// Original file: proto/palyra/v1/admin.proto


export interface RemoveNodeRequest {
  'deviceId'?: (string);
}

export interface RemoveNodeRequest__Output {
  'deviceId': (string);
}
