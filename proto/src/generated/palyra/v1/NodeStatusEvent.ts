// Original file: proto/palyra/v1/admin.proto


export interface NodeStatusEvent {
  'deviceId'?: (string);
  'name'?: (string);
  'platform'?: (string);
  /**
   * online | offline
   */
  'status'?: (string);
  'remoteAddress'?: (string);
}

export interface NodeStatusEvent__Output {
  'deviceId': (string);
  'name': (string);
  'platform': (string);
  /**
   * online | offline
   */
  'status': (string);
  'remoteAddress': (string);
}
