// Original file: proto/palyra/v1/pairing.proto


// Original file: proto/palyra/v1/pairing.proto

export const _palyra_v1_PairDecision_State = {
  STATE_UNSPECIFIED: 'STATE_UNSPECIFIED',
  STATE_PENDING_APPROVAL: 'STATE_PENDING_APPROVAL',
  STATE_APPROVED: 'STATE_APPROVED',
  STATE_REJECTED: 'STATE_REJECTED',
  STATE_EXPIRED: 'STATE_EXPIRED',
} as const;

export type _palyra_v1_PairDecision_State =
  | 'STATE_UNSPECIFIED'
  | 0
  | 'STATE_PENDING_APPROVAL'
  | 1
  | 'STATE_APPROVED'
  | 2
  | 'STATE_REJECTED'
  | 3
  | 'STATE_EXPIRED'
  | 4

export type _palyra_v1_PairDecision_State__Output = typeof _palyra_v1_PairDecision_State[keyof typeof _palyra_v1_PairDecision_State]

export interface PairDecision {
  'state'?: (_palyra_v1_PairDecision_State);
  /**
   * approved only
   */
  'certDer'?: (Buffer | Uint8Array | string);
  /**
   * request expiry while pending; cert expiry once approved
   */
  'expiresAt'?: (string);
}

export interface PairDecision__Output {
  'state': (_palyra_v1_PairDecision_State__Output);
  /**
   * approved only
   */
  'certDer': (Buffer);
  /**
   * request expiry while pending; cert expiry once approved
   */
  'expiresAt': (string);
}
