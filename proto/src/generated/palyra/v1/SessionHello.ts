// Original file: proto/palyra/v1/node.proto


export interface SessionHello {
  'deviceId'?: (string);
}

export interface SessionHello__Output {
  'deviceId': (string);
}
