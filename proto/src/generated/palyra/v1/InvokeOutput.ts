// Original file: proto/palyra/v1/admin.proto


export interface InvokeOutput {
  'chunk'?: (Buffer | Uint8Array | string);
}

export interface InvokeOutput__Output {
  'chunk': (Buffer);
}
