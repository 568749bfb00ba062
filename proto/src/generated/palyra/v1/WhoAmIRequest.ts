// Original file: proto/palyra/v1/admin.proto


export interface WhoAmIRequest {
}

export interface WhoAmIRequest__Output {
}
