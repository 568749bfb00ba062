// Original file: proto/palyra/v1/admin.proto


export interface WhoAmIResponse {
  /**
   * "local" (the admin socket's owner) | "token"
   */
  'kind'?: (string);
  /**
   * local: the daemon's user
   */
  'uid'?: (number);
  /**
   * token: its id and name
   */
  'tokenId'?: (string);
  'tokenName'?: (string);
  /**
   * "owner" | "admin" | "operator" | "viewer"
   */
  'role'?: (string);
  /**
   * what the role grants, after the token's narrowing
   */
  'permissions'?: (string)[];
  /**
   * capability patterns the token may dispatch ("" list: every one)
   */
  'scopes'?: (string)[];
  /**
   * the token's node selector, "" for every node
   */
  'nodes'?: (string);
  /**
   * RFC 3339, "" for never
   */
  'expiresAt'?: (string);
  /**
   * where the call came from, as the daemon saw it
   */
  'remoteAddress'?: (string);
}

export interface WhoAmIResponse__Output {
  /**
   * "local" (the admin socket's owner) | "token"
   */
  'kind': (string);
  /**
   * local: the daemon's user
   */
  'uid': (number);
  /**
   * token: its id and name
   */
  'tokenId': (string);
  'tokenName': (string);
  /**
   * "owner" | "admin" | "operator" | "viewer"
   */
  'role': (string);
  /**
   * what the role grants, after the token's narrowing
   */
  'permissions': (string)[];
  /**
   * capability patterns the token may dispatch ("" list: every one)
   */
  'scopes': (string)[];
  /**
   * the token's node selector, "" for every node
   */
  'nodes': (string);
  /**
   * RFC 3339, "" for never
   */
  'expiresAt': (string);
  /**
   * where the call came from, as the daemon saw it
   */
  'remoteAddress': (string);
}
