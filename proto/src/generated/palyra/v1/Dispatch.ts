// Original file: proto/palyra/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface Dispatch {
  'dispatchId'?: (string);
  'capability'?: (string);
  'inputJson'?: (string);
  /**
   * The deadline on the daemon's clock: read only by agents older than timeout_ms.
   */
  'deadlineUnixMs'?: (number | string | Long);
  'idempotencyKey'?: (string);
  /**
   * The time the dispatch has left when the daemon sends it, in ms. The node counts its
   * deadline from receipt on its own clock, so a node whose clock is off still gets its
   * time (less the one-way trip). 0 from a daemon older than this field: then the node
   * falls back to deadline_unix_ms.
   */
  'timeoutMs'?: (number | string | Long);
}

export interface Dispatch__Output {
  'dispatchId': (string);
  'capability': (string);
  'inputJson': (string);
  /**
   * The deadline on the daemon's clock: read only by agents older than timeout_ms.
   */
  'deadlineUnixMs': (string);
  'idempotencyKey': (string);
  /**
   * The time the dispatch has left when the daemon sends it, in ms. The node counts its
   * deadline from receipt on its own clock, so a node whose clock is off still gets its
   * time (less the one-way trip). 0 from a daemon older than this field: then the node
   * falls back to deadline_unix_ms.
   */
  'timeoutMs': (string);
}
