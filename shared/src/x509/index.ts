export { CERT_BACKDATE_MS, DAEMON_URI, DEVICE_URI_PREFIX, EKU_CLIENT_AUTH, EKU_SERVER_AUTH, OID_SHA256_WITH_RSA, deviceUri } from './constants.js';
export { pemCertificates } from './bundle.js';
export { createCsr, type CreateCsrOptions } from './csr.js';
export { generateTlsKeyPair, type TlsKeyPair } from './keys.js';
export { parseCertificate, type ParsedCertificate, type SubjectAltNames } from './parseCertificate.js';
export { derToPem, fingerprint, parseSha256Fingerprint, pemToDer } from './pem.js';
/** Not x509-specific: the one helper that lets a caller stop waiting on a promise when its signal aborts. */
export { abortable } from './utils.js';
export { DAEMON_TLS_NAME, checkDaemonCertificate } from './daemonIdentity.js';
