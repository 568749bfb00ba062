// Original file: proto/palyra/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ListAuditRequest {
  /**
   * entries with a larger sequence number; 0: from the first kept
   */
  'afterSeq'?: (number | string | Long);
  /**
   * RFC 3339: entries at or after this time
   */
  'since'?: (string);
  /**
   * "local", "token:<id>" or a token name
   */
  'actor'?: (string);
  /**
   * device id
   */
  'node'?: (string);
  /**
   * an action, or a prefix ending in "." ("dispatch.", "token.")
   */
  'action'?: (string);
  /**
   * at most this many (default 1000, at most 10000)
   */
  'limit'?: (number);
}

export interface ListAuditRequest__Output {
  /**
   * entries with a larger sequence number; 0: from the first kept
   */
  'afterSeq': (string);
  /**
   * RFC 3339: entries at or after this time
   */
  'since': (string);
  /**
   * "local", "token:<id>" or a token name
   */
  'actor': (string);
  /**
   * device id
   */
  'node': (string);
  /**
   * an action, or a prefix ending in "." ("dispatch.", "token.")
   */
  'action': (string);
  /**
   * at most this many (default 1000, at most 10000)
   */
  'limit': (number);
}
