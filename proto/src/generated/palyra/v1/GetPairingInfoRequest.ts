// Original file: proto/palyra/v1/pairing.proto


export interface GetPairingInfoRequest {
}

export interface GetPairingInfoRequest__Output {
}
