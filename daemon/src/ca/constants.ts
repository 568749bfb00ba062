import { CERT_BACKDATE_MS } from '@palyra/shared/x509';

export const CA_KEY_FILE = 'ca.key';
export const CA_CERT_FILE = 'ca.crt';
export const SERVER_KEY_FILE = 'server.key';
export const SERVER_CERT_FILE = 'server.crt';

export const CA_KEY_BITS = 3072;
export const CA_VALIDITY_YEARS = 10;
export const SERVER_VALIDITY_DAYS = 365;
/** Node certificates live 24 h by default and renew themselves (issue 15); at most 365 days. */
export const NODE_DEFAULT_VALIDITY_MS = 24 * 60 * 60 * 1000;
export const NODE_MAX_VALIDITY_MS = 365 * 24 * 60 * 60 * 1000;
/** notBefore is back-dated by this much to tolerate clock skew between daemon and nodes (the agent's renewal schedule reads the same constant). */
export const BACKDATE_MS = CERT_BACKDATE_MS;
export const SERVER_COMMON_NAME = 'palyrad';
/** Hosts every server certificate covers. */
export const DEFAULT_SERVER_HOSTS = ['localhost', '127.0.0.1'] as const;

/** CSR limits: RSA modulus size, public exponent (SP 800-56B: odd, 2^16 < e < 2^256), DER size. */
export const CSR_MIN_RSA_BITS = 2048;
export const CSR_MAX_RSA_BITS = 8192;
export const CSR_MAX_BYTES = 16 * 1024;
export const CSR_SIGNATURE_OIDS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
};

export const DAY_MS = 24 * 60 * 60 * 1000;
