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
  /**
   * The device id is registered under another Ed25519 identity key: approving replaces that
   * node (DecideRequest.replace_identity required). Never set for a re-pair with the same key.
   */
  'identityChange'?: (boolean);
  /**
   * the request's identity key (see docs/cli.md)
   */
  'keyFingerprint'?: (string);
  /**
   * identity_change only: the registered node's key
   */
  'previousKeyFingerprint'?: (string);
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
  /**
   * The device id is registered under another Ed25519 identity key: approving replaces that
   * node (DecideRequest.replace_identity required). Never set for a re-pair with the same key.
   */
  'identityChange': (boolean);
  /**
   * the request's identity key (see docs/cli.md)
   */
  'keyFingerprint': (string);
  /**
   * identity_change only: the registered node's key
   */
  'previousKeyFingerprint': (string);
}
