// Original file: proto/palyra/v1/admin.proto

import type { Capability as _palyra_v1_Capability, Capability__Output as _palyra_v1_Capability__Output } from '../../palyra/v1/Capability.js';

export interface NodeInfo {
  'deviceId'?: (string);
  'name'?: (string);
  'platform'?: (string);
  'hostname'?: (string);
  'agentVersion'?: (string);
  'capabilities'?: (string)[];
  'labels'?: ({[key: string]: string});
  /**
   * online | offline
   */
  'status'?: (string);
  'lastSeen'?: (string);
  'certFingerprint'?: (string);
  'certExpiresAt'?: (string);
  'pairedAt'?: (string);
  'capabilityDetails'?: (_palyra_v1_Capability)[];
  /**
   * quic | grpc: the node's health/events channel; empty when offline
   */
  'transport'?: (string);
  /**
   * last health round trip; 0 with last_health_at empty when none
   */
  'healthRttMs'?: (number | string);
  'lastHealthAt'?: (string);
  /**
   * How far the node's clock is ahead of the daemon's (negative: behind), in ms, estimated
   * from the last health ping; meaningful only with last_health_at set.
   */
  'clockSkewMs'?: (number | string);
  /**
   * valid | renewing | expiring | expired | in_grace
   */
  'certState'?: (string);
  /**
   * notBefore of the current certificate; empty for older records
   */
  'certIssuedAt'?: (string);
  /**
   * when a renewal issued it; empty: issued at pairing
   */
  'certRenewedAt'?: (string);
  /**
   * the labels the node declares
   */
  'nodeLabels'?: ({[key: string]: string});
  /**
   * the operator's (palyrad nodes label); `labels` is both merged, the operator's first
   */
  'operatorLabels'?: ({[key: string]: string});
}

export interface NodeInfo__Output {
  'deviceId': (string);
  'name': (string);
  'platform': (string);
  'hostname': (string);
  'agentVersion': (string);
  'capabilities': (string)[];
  'labels': ({[key: string]: string});
  /**
   * online | offline
   */
  'status': (string);
  'lastSeen': (string);
  'certFingerprint': (string);
  'certExpiresAt': (string);
  'pairedAt': (string);
  'capabilityDetails': (_palyra_v1_Capability__Output)[];
  /**
   * quic | grpc: the node's health/events channel; empty when offline
   */
  'transport': (string);
  /**
   * last health round trip; 0 with last_health_at empty when none
   */
  'healthRttMs': (number);
  'lastHealthAt': (string);
  /**
   * How far the node's clock is ahead of the daemon's (negative: behind), in ms, estimated
   * from the last health ping; meaningful only with last_health_at set.
   */
  'clockSkewMs': (number);
  /**
   * valid | renewing | expiring | expired | in_grace
   */
  'certState': (string);
  /**
   * notBefore of the current certificate; empty for older records
   */
  'certIssuedAt': (string);
  /**
   * when a renewal issued it; empty: issued at pairing
   */
  'certRenewedAt': (string);
  /**
   * the labels the node declares
   */
  'nodeLabels': ({[key: string]: string});
  /**
   * the operator's (palyrad nodes label); `labels` is both merged, the operator's first
   */
  'operatorLabels': ({[key: string]: string});
}
