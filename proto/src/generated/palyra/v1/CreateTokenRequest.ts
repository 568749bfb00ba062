// Original file: proto/palyra/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateTokenRequest {
  'name'?: (string);
  'role'?: (string);
  /**
   * 0: the daemon's default
   */
  'ttlSeconds'?: (number | string | Long);
  /**
   * capability patterns: "fs.read", "fs.*"; empty: every capability the role may invoke
   */
  'scopes'?: (string)[];
  /**
   * node selector the token is limited to; "" for every node
   */
  'nodes'?: (string);
  /**
   * 0: the daemon's default
   */
  'ratePerSecond'?: (number | string);
  /**
   * 0: twice the rate
   */
  'burst'?: (number);
  /**
   * narrows the role to these permissions; empty: all the role grants
   */
  'permissions'?: (string)[];
  /**
   * no expiry at all (`--ttl never`); ttl_seconds must then be 0
   */
  'neverExpires'?: (boolean);
}

export interface CreateTokenRequest__Output {
  'name': (string);
  'role': (string);
  /**
   * 0: the daemon's default
   */
  'ttlSeconds': (string);
  /**
   * capability patterns: "fs.read", "fs.*"; empty: every capability the role may invoke
   */
  'scopes': (string)[];
  /**
   * node selector the token is limited to; "" for every node
   */
  'nodes': (string);
  /**
   * 0: the daemon's default
   */
  'ratePerSecond': (number);
  /**
   * 0: twice the rate
   */
  'burst': (number);
  /**
   * narrows the role to these permissions; empty: all the role grants
   */
  'permissions': (string)[];
  /**
   * no expiry at all (`--ttl never`); ttl_seconds must then be 0
   */
  'neverExpires': (boolean);
}
