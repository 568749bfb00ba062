// Original file: proto/palyra/v1/admin.proto


export interface PendingRequest {
  'requestId'?: (string);
  'deviceId'?: (string);
  'name'?: (string);
  'platform'?: (string);
  'hostname'?: (string);
  'sas'?: (string);
  'requestedAt'?: (string);
  'expiresAt'?: (string);
  'repair'?: (boolean);
  /**
   * pending_approval | approved | rejected | expired
   */
  'state'?: (string);
  'remoteAddress'?: (string);
}

export interface PendingRequest__Output {
  'requestId': (string);
  'deviceId': (string);
  'name': (string);
  'platform': (string);
  'hostname': (string);
  'sas': (string);
  'requestedAt': (string);
  'expiresAt': (string);
  'repair': (boolean);
  /**
   * pending_approval | approved | rejected | expired
   */
  'state': (string);
  'remoteAddress': (string);
}
