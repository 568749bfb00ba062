// Original file: proto/palyra/v1/node.proto

import type { Capability as _palyra_v1_Capability, Capability__Output as _palyra_v1_Capability__Output } from '../../palyra/v1/Capability.js';

export interface RegisterNodeRequest {
  'deviceId'?: (string);
  'name'?: (string);
  'platform'?: (string);
  'hostname'?: (string);
  'agentVersion'?: (string);
  'capabilities'?: (_palyra_v1_Capability)[];
  /**
   * SHA-256 (lowercase hex) of every CA certificate this node trusts.
   */
  'trustedCaFingerprints'?: (string)[];
}

export interface RegisterNodeRequest__Output {
  'deviceId': (string);
  'name': (string);
  'platform': (string);
  'hostname': (string);
  'agentVersion': (string);
  'capabilities': (_palyra_v1_Capability__Output)[];
  /**
   * SHA-256 (lowercase hex) of every CA certificate this node trusts.
   */
  'trustedCaFingerprints': (string)[];
}
