// Original file: proto/palyra/v1/admin.proto


export interface InvokeManyCancel {
}

export interface InvokeManyCancel__Output {
}
