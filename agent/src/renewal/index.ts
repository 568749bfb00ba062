export { IdentityHolder, type IdentityChange } from './IdentityHolder.js';
export { IdentityKeeper, certFingerprint, type RenewedCredentials } from './IdentityKeeper.js';
export { NodeCertificateLifecycle } from './CertificateLifecycle.js';
export { RenewalManager, PAIR_AGAIN_CODES, type LastRenewal, type RenewalManagerOptions, type RenewalStatus } from './RenewalManager.js';
export { renewCertificate, type RenewalPath, type RenewOptions } from './renewCertificate.js';
export { RENEW_AT_FRACTION, RENEW_JITTER_FRACTION, certWindow, isExpired, renewalDueAt, retryDelayMs, type CertWindow } from './renewalSchedule.js';
export { MAX_TRUST_BUNDLE_BYTES, MAX_TRUST_BUNDLE_CAS, readTrustBundle, sameTrust, trustedCaFingerprints, validateTrustBundle, type TrustBundle } from './trustBundle.js';
export { verifyIssuedCertificate } from './verifyIssuedCertificate.js';
