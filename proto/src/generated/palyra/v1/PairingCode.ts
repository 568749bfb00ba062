// Original file: proto/palyra/v1/admin.proto


export interface PairingCode {
  'method'?: (string);
  'code'?: (string);
  'expiresAt'?: (string);
  'daemon'?: (string);
  'caFingerprint'?: (string);
  'uri'?: (string);
  'supersededPrevious'?: (boolean);
}

export interface PairingCode__Output {
  'method': (string);
  'code': (string);
  'expiresAt': (string);
  'daemon': (string);
  'caFingerprint': (string);
  'uri': (string);
  'supersededPrevious': (boolean);
}
