// Original file: proto/palyra/v1/admin.proto


export interface InvokeRequest {
  'deviceId'?: (string);
  'capability'?: (string);
  'inputJson'?: (string);
  /**
   * 0: the daemon's default (30 s)
   */
  'timeoutMs'?: (number);
  'idempotencyKey'?: (string);
}

export interface InvokeRequest__Output {
  'deviceId': (string);
  'capability': (string);
  'inputJson': (string);
  /**
   * 0: the daemon's default (30 s)
   */
  'timeoutMs': (number);
  'idempotencyKey': (string);
}
