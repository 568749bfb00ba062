export {
  RENEWAL_NONCE_BYTES,
  RENEWAL_PROTOCOL,
  RENEWAL_SIGNATURE_CONTEXT,
  encodeRenewalTranscript,
  signRenewal,
  verifyRenewal,
  type RenewalTranscriptFields,
} from './transcript.js';
export { CERT_STATES, EXPIRING_FRACTION, certState, type CertState, type CertStateOptions, type CertTimes } from './certState.js';
