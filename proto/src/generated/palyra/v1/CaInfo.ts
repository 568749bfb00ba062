// Original file: proto/palyra/v1/admin.proto


export interface CaInfo {
  /**
   * SHA-256 of the CA certificate, lowercase hex
   */
  'fingerprint'?: (string);
  /**
   * signing | retiring | retired
   */
  'role'?: (string);
  /**
   * ISO-8601; empty for a retired CA
   */
  'notAfter'?: (string);
  'createdAt'?: (string);
  /**
   * registered nodes that trust it
   */
  'nodesTrusting'?: (number);
  /**
   * registered nodes whose current certificate it issued
   */
  'nodesHolding'?: (number);
}

export interface CaInfo__Output {
  /**
   * SHA-256 of the CA certificate, lowercase hex
   */
  'fingerprint': (string);
  /**
   * signing | retiring | retired
   */
  'role': (string);
  /**
   * ISO-8601; empty for a retired CA
   */
  'notAfter': (string);
  'createdAt': (string);
  /**
   * registered nodes that trust it
   */
  'nodesTrusting': (number);
  /**
   * registered nodes whose current certificate it issued
   */
  'nodesHolding': (number);
}
