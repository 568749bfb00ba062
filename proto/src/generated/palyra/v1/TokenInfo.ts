// Original file: proto/palyra/v1/admin.proto


export interface TokenInfo {
  'id'?: (string);
  'name'?: (string);
  'role'?: (string);
  'scopes'?: (string)[];
  'nodes'?: (string);
  'ratePerSecond'?: (number | string);
  'burst'?: (number);
  'createdAt'?: (string);
  /**
   * "" for never
   */
  'expiresAt'?: (string);
  /**
   * "" while valid
   */
  'revokedAt'?: (string);
  /**
   * "local:<uid>" or "token:<id>"
   */
  'createdBy'?: (string);
  'lastUsedAt'?: (string);
  'permissions'?: (string)[];
}

export interface TokenInfo__Output {
  'id': (string);
  'name': (string);
  'role': (string);
  'scopes': (string)[];
  'nodes': (string);
  'ratePerSecond': (number);
  'burst': (number);
  'createdAt': (string);
  /**
   * "" for never
   */
  'expiresAt': (string);
  /**
   * "" while valid
   */
  'revokedAt': (string);
  /**
   * "local:<uid>" or "token:<id>"
   */
  'createdBy': (string);
  'lastUsedAt': (string);
  'permissions': (string)[];
}
