// Original file: proto/palyra/v1/admin.proto


export interface ListPendingRequest {
}

export interface ListPendingRequest__Output {
}
