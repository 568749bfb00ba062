// Original file: proto/palyra/v1/node.proto


export interface RenewProof {
  /**
   * PKCS#10 DER for a new TLS key, CN = the device id.
   */
  'csrDer'?: (Buffer | Uint8Array | string);
  /**
   * SHA-256 (lowercase hex) of the certificate the node holds now (expired on the grace path).
   */
  'currentCertFingerprint'?: (string);
  /**
   * Ed25519 by the node's registered identity key over renewalTranscript(nonce, device id,
   * CSR, current fingerprint).
   */
  'signature'?: (Buffer | Uint8Array | string);
}

export interface RenewProof__Output {
  /**
   * PKCS#10 DER for a new TLS key, CN = the device id.
   */
  'csrDer': (Buffer);
  /**
   * SHA-256 (lowercase hex) of the certificate the node holds now (expired on the grace path).
   */
  'currentCertFingerprint': (string);
  /**
   * Ed25519 by the node's registered identity key over renewalTranscript(nonce, device id,
   * CSR, current fingerprint).
   */
  'signature': (Buffer);
}
