// Original file: proto/palyra/v1/admin.proto


export interface GetCaStatusRequest {
}

export interface GetCaStatusRequest__Output {
}
