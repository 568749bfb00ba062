// Original file: proto/palyra/v1/admin.proto

import type { CertificateCounts as _palyra_v1_CertificateCounts, CertificateCounts__Output as _palyra_v1_CertificateCounts__Output } from '../../palyra/v1/CertificateCounts.js';

export interface DaemonStatus {
  'version'?: (string);
  'grpcAddress'?: (string);
  'quicAddress'?: (string);
  'adminSocket'?: (string);
  'caFingerprint'?: (string);
  'stateDir'?: (string);
  'nodesOnline'?: (number);
  'nodesOffline'?: (number);
  'requestsPending'?: (number);
  'startedAt'?: (string);
  'pid'?: (number);
  /**
   * "off" | "qr" | "all": pairing requests approved without an operator
   */
  'autoApprove'?: (string);
  /**
   * "sqlite" | "postgres": where the daemon's state lives
   */
  'storeEngine'?: (string);
  /**
   * the SQLite file, or the PostgreSQL URL without its password
   */
  'storeLocation'?: (string);
  /**
   * registered nodes per certificate state
   */
  'certificates'?: (_palyra_v1_CertificateCounts | null);
  /**
   * the node port's TLS certificate (renewed while running)
   */
  'serverCertExpiresAt'?: (string);
  'serverCertFingerprint'?: (string);
  /**
   * CA (40+: CA rotation). ca_fingerprint is the CA of the server certificate (what pairing pins).
   */
  'caNotAfter'?: (string);
  /**
   * the CA issuing node certificates (the new one during a rotation)
   */
  'caSigningFingerprint'?: (string);
  'caSigningNotAfter'?: (string);
  'caRotating'?: (boolean);
  /**
   * HOST:PORT of the remote admin endpoint, "" when off
   */
  'adminTlsAddress'?: (string);
}

export interface DaemonStatus__Output {
  'version': (string);
  'grpcAddress': (string);
  'quicAddress': (string);
  'adminSocket': (string);
  'caFingerprint': (string);
  'stateDir': (string);
  'nodesOnline': (number);
  'nodesOffline': (number);
  'requestsPending': (number);
  'startedAt': (string);
  'pid': (number);
  /**
   * "off" | "qr" | "all": pairing requests approved without an operator
   */
  'autoApprove': (string);
  /**
   * "sqlite" | "postgres": where the daemon's state lives
   */
  'storeEngine': (string);
  /**
   * the SQLite file, or the PostgreSQL URL without its password
   */
  'storeLocation': (string);
  /**
   * registered nodes per certificate state
   */
  'certificates': (_palyra_v1_CertificateCounts__Output | null);
  /**
   * the node port's TLS certificate (renewed while running)
   */
  'serverCertExpiresAt': (string);
  'serverCertFingerprint': (string);
  /**
   * CA (40+: CA rotation). ca_fingerprint is the CA of the server certificate (what pairing pins).
   */
  'caNotAfter': (string);
  /**
   * the CA issuing node certificates (the new one during a rotation)
   */
  'caSigningFingerprint': (string);
  'caSigningNotAfter': (string);
  'caRotating': (boolean);
  /**
   * HOST:PORT of the remote admin endpoint, "" when off
   */
  'adminTlsAddress': (string);
}
