// Original file: proto/palyra/v1/admin.proto


export interface RevokeTokenRequest {
  'tokenId'?: (string);
}

export interface RevokeTokenRequest__Output {
  'tokenId': (string);
}
