// Original file: proto/palyra/v1/admin.proto


export interface InvokeProgress {
  'ratio'?: (number | string);
  'message'?: (string);
}

export interface InvokeProgress__Output {
  'ratio': (number);
  'message': (string);
}
