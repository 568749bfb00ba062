// Original file: proto/palyra/v1/admin.proto


/**
 * Nodes per certificate state (certState in @palyra/shared/renewal).
 */
export interface CertificateCounts {
  'valid'?: (number);
  'renewing'?: (number);
  'expiring'?: (number);
  'expired'?: (number);
  'inGrace'?: (number);
}

/**
 * Nodes per certificate state (certState in @palyra/shared/renewal).
 */
export interface CertificateCounts__Output {
  'valid': (number);
  'renewing': (number);
  'expiring': (number);
  'expired': (number);
  'inGrace': (number);
}
