// Original file: proto/palyra/v1/pairing.proto

import type { PairHello as _palyra_v1_PairHello, PairHello__Output as _palyra_v1_PairHello__Output } from '../../palyra/v1/PairHello.js';
import type { PairShare as _palyra_v1_PairShare, PairShare__Output as _palyra_v1_PairShare__Output } from '../../palyra/v1/PairShare.js';
import type { NodeConfirm as _palyra_v1_NodeConfirm, NodeConfirm__Output as _palyra_v1_NodeConfirm__Output } from '../../palyra/v1/NodeConfirm.js';

export interface PairClientMessage {
  'hello'?: (_palyra_v1_PairHello | null);
  'share'?: (_palyra_v1_PairShare | null);
  'confirm'?: (_palyra_v1_NodeConfirm | null);
  'body'?: "hello"|"share"|"confirm";
}

export interface PairClientMessage__Output {
  'hello'?: (_palyra_v1_PairHello__Output | null);
  'share'?: (_palyra_v1_PairShare__Output | null);
  'confirm'?: (_palyra_v1_NodeConfirm__Output | null);
  'body'?: "hello"|"share"|"confirm";
}
