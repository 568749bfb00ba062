/** URI SAN that marks a certificate issued to a paired node: `urn:palyra:device:<ULID>`. */
export const DEVICE_URI_PREFIX = 'urn:palyra:device:';
/** URI SAN that marks the daemon's server certificate. */
export const DAEMON_URI = 'urn:palyra:daemon';

/** Extended key usage OIDs. */
export const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** sha256WithRSAEncryption, the only signature algorithm Palyra issues. */
export const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

/**
 * The daemon back-dates the notBefore of every certificate it issues by this much, as room for
 * clocks that run behind. The agent's renewal schedule takes it off again: it is not lifetime.
 */
export const CERT_BACKDATE_MS = 5 * 60 * 1000;

export function deviceUri(deviceId: string): string {
  return `${DEVICE_URI_PREFIX}${deviceId}`;
}
