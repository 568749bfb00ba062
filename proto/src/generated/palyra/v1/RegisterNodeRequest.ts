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
  /**
   * Labels the node declares in its config (`labels: {role: web}`); the operator's labels
   * (palyrad nodes label) take precedence and survive re-registration.
   */
  'labels'?: ({[key: string]: string});
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
  /**
   * Labels the node declares in its config (`labels: {role: web}`); the operator's labels
   * (palyrad nodes label) take precedence and survive re-registration.
   */
  'labels': ({[key: string]: string});
}
