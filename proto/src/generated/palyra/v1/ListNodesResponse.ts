// Original file: proto/palyra/v1/admin.proto

import type { NodeInfo as _palyra_v1_NodeInfo, NodeInfo__Output as _palyra_v1_NodeInfo__Output } from '../../palyra/v1/NodeInfo.js';

export interface ListNodesResponse {
  'nodes'?: (_palyra_v1_NodeInfo)[];
  /**
   * "" on the last page
   */
  'nextPageToken'?: (string);
}

export interface ListNodesResponse__Output {
  'nodes': (_palyra_v1_NodeInfo__Output)[];
  /**
   * "" on the last page
   */
  'nextPageToken': (string);
}
