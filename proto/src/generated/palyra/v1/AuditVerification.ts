// Original file: proto/palyra/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface AuditVerification {
  'ok'?: (boolean);
  /**
   * entries checked
   */
  'entries'?: (number | string | Long);
  'files'?: (number);
  /**
   * the first entry that fails (0 when ok)
   */
  'firstBadSeq'?: (number | string | Long);
  'firstBadFile'?: (string);
  'firstBadLine'?: (number);
  /**
   * "edited" | "removed" | "reordered" | "truncated" | ... with details
   */
  'problem'?: (string);
  'lastSeq'?: (number | string | Long);
  'lastHash'?: (string);
}

export interface AuditVerification__Output {
  'ok': (boolean);
  /**
   * entries checked
   */
  'entries': (string);
  'files': (number);
  /**
   * the first entry that fails (0 when ok)
   */
  'firstBadSeq': (string);
  'firstBadFile': (string);
  'firstBadLine': (number);
  /**
   * "edited" | "removed" | "reordered" | "truncated" | ... with details
   */
  'problem': (string);
  'lastSeq': (string);
  'lastHash': (string);
}
