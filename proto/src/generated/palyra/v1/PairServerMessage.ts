// Original file: proto/palyra/v1/pairing.proto

import type { PairServerHello as _palyra_v1_PairServerHello, PairServerHello__Output as _palyra_v1_PairServerHello__Output } from '../../palyra/v1/PairServerHello.js';
import type { PairShare as _palyra_v1_PairShare, PairShare__Output as _palyra_v1_PairShare__Output } from '../../palyra/v1/PairShare.js';
import type { DaemonConfirm as _palyra_v1_DaemonConfirm, DaemonConfirm__Output as _palyra_v1_DaemonConfirm__Output } from '../../palyra/v1/DaemonConfirm.js';
import type { PairDecision as _palyra_v1_PairDecision, PairDecision__Output as _palyra_v1_PairDecision__Output } from '../../palyra/v1/PairDecision.js';
import type { ErrorInfo as _palyra_v1_ErrorInfo, ErrorInfo__Output as _palyra_v1_ErrorInfo__Output } from '../../palyra/v1/ErrorInfo.js';

export interface PairServerMessage {
  'serverHello'?: (_palyra_v1_PairServerHello | null);
  'share'?: (_palyra_v1_PairShare | null);
  'confirm'?: (_palyra_v1_DaemonConfirm | null);
  'decision'?: (_palyra_v1_PairDecision | null);
  'error'?: (_palyra_v1_ErrorInfo | null);
  'body'?: "serverHello"|"share"|"confirm"|"decision"|"error";
}

export interface PairServerMessage__Output {
  'serverHello'?: (_palyra_v1_PairServerHello__Output | null);
  'share'?: (_palyra_v1_PairShare__Output | null);
  'confirm'?: (_palyra_v1_DaemonConfirm__Output | null);
  'decision'?: (_palyra_v1_PairDecision__Output | null);
  'error'?: (_palyra_v1_ErrorInfo__Output | null);
  'body'?: "serverHello"|"share"|"confirm"|"decision"|"error";
}
