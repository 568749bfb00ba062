// Original file: proto/palyra/v1/node.proto


export interface DispatchOutput {
  'dispatchId'?: (string);
  'chunk'?: (Buffer | Uint8Array | string);
  'progressRatio'?: (number | string);
  'progressMessage'?: (string);
}

export interface DispatchOutput__Output {
  'dispatchId': (string);
  'chunk': (Buffer);
  'progressRatio': (number);
  'progressMessage': (string);
}
