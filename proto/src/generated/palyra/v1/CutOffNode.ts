// Original file: proto/palyra/v1/admin.proto


export interface CutOffNode {
  'deviceId'?: (string);
  'name'?: (string);
  /**
   * its certificate was revoked
   */
  'holdsOldCertificate'?: (boolean);
  /**
   * cannot verify the new server certificate
   */
  'lacksTrust'?: (boolean);
}

export interface CutOffNode__Output {
  'deviceId': (string);
  'name': (string);
  /**
   * its certificate was revoked
   */
  'holdsOldCertificate': (boolean);
  /**
   * cannot verify the new server certificate
   */
  'lacksTrust': (boolean);
}
