// Original file: proto/palyra/v1/admin.proto

import type { PendingRequest as _palyra_v1_PendingRequest, PendingRequest__Output as _palyra_v1_PendingRequest__Output } from '../../palyra/v1/PendingRequest.js';
import type { NodeInfo as _palyra_v1_NodeInfo, NodeInfo__Output as _palyra_v1_NodeInfo__Output } from '../../palyra/v1/NodeInfo.js';

/**
 * The state a watcher starts from; later events are deltas on top of it.
 */
export interface ApprovalsSnapshot {
  /**
   * pending, oldest first
   */
  'requests'?: (_palyra_v1_PendingRequest)[];
  /**
   * registered nodes, status online | offline
   */
  'nodes'?: (_palyra_v1_NodeInfo)[];
  /**
   * more snapshot messages follow (nodes paged); events after the last
   */
  'more'?: (boolean);
}

/**
 * The state a watcher starts from; later events are deltas on top of it.
 */
export interface ApprovalsSnapshot__Output {
  /**
   * pending, oldest first
   */
  'requests': (_palyra_v1_PendingRequest__Output)[];
  /**
   * registered nodes, status online | offline
   */
  'nodes': (_palyra_v1_NodeInfo__Output)[];
  /**
   * more snapshot messages follow (nodes paged); events after the last
   */
  'more': (boolean);
}
