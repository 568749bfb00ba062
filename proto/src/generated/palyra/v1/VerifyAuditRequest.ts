// Original file: proto/palyra/v1/admin.proto


export interface VerifyAuditRequest {
}

export interface VerifyAuditRequest__Output {
}
