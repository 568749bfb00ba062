// Original file: proto/palyra/v1/admin.proto


export interface WatchApprovalsRequest {
}

export interface WatchApprovalsRequest__Output {
}
