// Original file: proto/palyra/v1/node.proto


export interface RegisterNodeResponse {
  'certExpiresAt'?: (string);
  'daemonVersion'?: (string);
}

export interface RegisterNodeResponse__Output {
  'certExpiresAt': (string);
  'daemonVersion': (string);
}
