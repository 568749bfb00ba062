// Original file: proto/palyra/v1/node.proto


export interface RenewStart {
  'deviceId'?: (string);
}

export interface RenewStart__Output {
  'deviceId': (string);
}
