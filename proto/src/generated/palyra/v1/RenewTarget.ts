// Original file: proto/palyra/v1/admin.proto


export interface RenewTarget {
  'deviceId'?: (string);
  'name'?: (string);
}

export interface RenewTarget__Output {
  'deviceId': (string);
  'name': (string);
}
