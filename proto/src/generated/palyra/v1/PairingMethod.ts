// Original file: proto/palyra/v1/pairing.proto

export const PairingMethod = {
  PAIRING_METHOD_UNSPECIFIED: 'PAIRING_METHOD_UNSPECIFIED',
  PAIRING_METHOD_PIN: 'PAIRING_METHOD_PIN',
  PAIRING_METHOD_QR: 'PAIRING_METHOD_QR',
} as const;

export type PairingMethod =
  | 'PAIRING_METHOD_UNSPECIFIED'
  | 0
  | 'PAIRING_METHOD_PIN'
  | 1
  | 'PAIRING_METHOD_QR'
  | 2

export type PairingMethod__Output = typeof PairingMethod[keyof typeof PairingMethod]
