// Original file: proto/palyra/v1/admin.proto


export interface NodeInfo {
  'deviceId'?: (string);
  'name'?: (string);
  'platform'?: (string);
  'hostname'?: (string);
  'agentVersion'?: (string);
  'capabilities'?: (string)[];
  'labels'?: ({[key: string]: string});
  /**
   * online | offline
   */
  'status'?: (string);
  'lastSeen'?: (string);
  'certFingerprint'?: (string);
  'certExpiresAt'?: (string);
  'pairedAt'?: (string);
}

export interface NodeInfo__Output {
  'deviceId': (string);
  'name': (string);
  'platform': (string);
  'hostname': (string);
  'agentVersion': (string);
  'capabilities': (string)[];
  'labels': ({[key: string]: string});
  /**
   * online | offline
   */
  'status': (string);
  'lastSeen': (string);
  'certFingerprint': (string);
  'certExpiresAt': (string);
  'pairedAt': (string);
}
