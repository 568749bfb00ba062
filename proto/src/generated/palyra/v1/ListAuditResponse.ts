// Original file: proto/palyra/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ListAuditResponse {
  /**
   * each entry as stored: one JSON object (docs/security.md)
   */
  'entriesJson'?: (string)[];
  /**
   * the last sequence number examined: page on with after_seq
   */
  'lastSeq'?: (number | string | Long);
  'more'?: (boolean);
}

export interface ListAuditResponse__Output {
  /**
   * each entry as stored: one JSON object (docs/security.md)
   */
  'entriesJson': (string)[];
  /**
   * the last sequence number examined: page on with after_seq
   */
  'lastSeq': (string);
  'more': (boolean);
}
