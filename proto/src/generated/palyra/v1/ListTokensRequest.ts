// Original file: proto/palyra/v1/admin.proto


export interface ListTokensRequest {
  'includeRevoked'?: (boolean);
}

export interface ListTokensRequest__Output {
  'includeRevoked': (boolean);
}
