// Original file: proto/palyra/v1/admin.proto

import type { TokenInfo as _palyra_v1_TokenInfo, TokenInfo__Output as _palyra_v1_TokenInfo__Output } from '../../palyra/v1/TokenInfo.js';

export interface ListTokensResponse {
  'tokens'?: (_palyra_v1_TokenInfo)[];
}

export interface ListTokensResponse__Output {
  'tokens': (_palyra_v1_TokenInfo__Output)[];
}
