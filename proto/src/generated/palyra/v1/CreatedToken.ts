// Original file: proto/palyra/v1/admin.proto

import type { TokenInfo as _palyra_v1_TokenInfo, TokenInfo__Output as _palyra_v1_TokenInfo__Output } from '../../palyra/v1/TokenInfo.js';

export interface CreatedToken {
  /**
   * pyt_<id>_<secret>: shown once, never stored
   */
  'token'?: (string);
  'info'?: (_palyra_v1_TokenInfo | null);
}

export interface CreatedToken__Output {
  /**
   * pyt_<id>_<secret>: shown once, never stored
   */
  'token': (string);
  'info': (_palyra_v1_TokenInfo__Output | null);
}
