// Original file: proto/palyra/v1/node.proto


/**
 * Renew the certificate now (palyrad nodes renew, or a CA rotation): the node starts a
 * RenewCertificate stream as soon as it can.
 */
export interface RenewNow {
  'reason'?: (string);
}

/**
 * Renew the certificate now (palyrad nodes renew, or a CA rotation): the node starts a
 * RenewCertificate stream as soon as it can.
 */
export interface RenewNow__Output {
  'reason': (string);
}
