// Original file: proto/palyra/v1/admin.proto


export interface ListNodesRequest {
}

export interface ListNodesRequest__Output {
}
