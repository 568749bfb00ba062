// Original file: proto/palyra/v1/admin.proto

import type { CaInfo as _palyra_v1_CaInfo, CaInfo__Output as _palyra_v1_CaInfo__Output } from '../../palyra/v1/CaInfo.js';

export interface CaStatus {
  /**
   * oldest first
   */
  'cas'?: (_palyra_v1_CaInfo)[];
  /**
   * the CA of the server certificate
   */
  'serverCaFingerprint'?: (string);
  'nodesTotal'?: (number);
  /**
   * a CA is retiring
   */
  'rotating'?: (boolean);
}

export interface CaStatus__Output {
  /**
   * oldest first
   */
  'cas': (_palyra_v1_CaInfo__Output)[];
  /**
   * the CA of the server certificate
   */
  'serverCaFingerprint': (string);
  'nodesTotal': (number);
  /**
   * a CA is retiring
   */
  'rotating': (boolean);
}
