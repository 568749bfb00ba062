// Original file: proto/palyra/v1/admin.proto

import type { NodeInfo as _palyra_v1_NodeInfo, NodeInfo__Output as _palyra_v1_NodeInfo__Output } from '../../palyra/v1/NodeInfo.js';
import type { DispatchInfo as _palyra_v1_DispatchInfo, DispatchInfo__Output as _palyra_v1_DispatchInfo__Output } from '../../palyra/v1/DispatchInfo.js';

export interface NodeDescription {
  'node'?: (_palyra_v1_NodeInfo | null);
  'lastDispatches'?: (_palyra_v1_DispatchInfo)[];
  /**
   * e.g. "quic 127.0.0.1:7444, grpc session since ..."
   */
  'transportDetail'?: (string);
}

export interface NodeDescription__Output {
  'node': (_palyra_v1_NodeInfo__Output | null);
  'lastDispatches': (_palyra_v1_DispatchInfo__Output)[];
  /**
   * e.g. "quic 127.0.0.1:7444, grpc session since ..."
   */
  'transportDetail': (string);
}
