// Original file: proto/palyra/v1/admin.proto

import type { RenewTarget as _palyra_v1_RenewTarget, RenewTarget__Output as _palyra_v1_RenewTarget__Output } from '../../palyra/v1/RenewTarget.js';

export interface RenewNodesResponse {
  /**
   * online: RenewNow was sent on their Session
   */
  'asked'?: (_palyra_v1_RenewTarget)[];
  /**
   * no live Session: they renew on their own schedule once back
   */
  'offline'?: (_palyra_v1_RenewTarget)[];
}

export interface RenewNodesResponse__Output {
  /**
   * online: RenewNow was sent on their Session
   */
  'asked': (_palyra_v1_RenewTarget__Output)[];
  /**
   * no live Session: they renew on their own schedule once back
   */
  'offline': (_palyra_v1_RenewTarget__Output)[];
}
