// Original file: proto/palyra/v1/common.proto


/**
 * A PalyraError carried across an RPC boundary.
 */
export interface ErrorInfo {
  /**
   * PALYRA_E_*
   */
  'code'?: (string);
  'message'?: (string);
  'detailsJson'?: (string);
}

/**
 * A PalyraError carried across an RPC boundary.
 */
export interface ErrorInfo__Output {
  /**
   * PALYRA_E_*
   */
  'code': (string);
  'message': (string);
  'detailsJson': (string);
}
