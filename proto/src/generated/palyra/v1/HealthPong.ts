// Original file: proto/palyra/v1/node.proto

import type { ErrorInfo as _palyra_v1_ErrorInfo, ErrorInfo__Output as _palyra_v1_ErrorInfo__Output } from '../../palyra/v1/ErrorInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface HealthPong {
  'seq'?: (number);
  /**
   * The daemon's wall clock when the ping arrived; with the ping's sent_at_ms and the round
   * trip the daemon estimates how far the node's clock is off (nodes list: clockSkewMs).
   */
  'receivedAtMs'?: (number | string | Long);
  /**
   * Set when the daemon refused the ping's figures (PALYRA_E_INVALID_ARGUMENT); the session
   * stays open. A certificate that no longer passes ends the session instead.
   */
  'error'?: (_palyra_v1_ErrorInfo | null);
}

export interface HealthPong__Output {
  'seq': (number);
  /**
   * The daemon's wall clock when the ping arrived; with the ping's sent_at_ms and the round
   * trip the daemon estimates how far the node's clock is off (nodes list: clockSkewMs).
   */
  'receivedAtMs': (string);
  /**
   * Set when the daemon refused the ping's figures (PALYRA_E_INVALID_ARGUMENT); the session
   * stays open. A certificate that no longer passes ends the session instead.
   */
  'error': (_palyra_v1_ErrorInfo__Output | null);
}
