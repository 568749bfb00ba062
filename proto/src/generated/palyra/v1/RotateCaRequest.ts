// Original file: proto/palyra/v1/admin.proto


export interface RotateCaRequest {
}

export interface RotateCaRequest__Output {
}
