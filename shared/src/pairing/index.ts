/**
 * Pairing crypto: CPace (draft-irtf-cfrg-cpace, CPACE-X25519-SHA512) keyed by a PIN or QR
 * token, bound to the daemon's CA and TLS certificate, with transcript confirmation and a SAS.
 * See design/PAIRING.md. The CPace primitives themselves stay internal to this folder.
 */
export { PAIRING_LIMITS, PAIRING_METHODS, PAIRING_PROTOCOL, type NodeClaims, type PairingMethod } from './types.js';
export { PIN_PRS_SCRYPT, derivePinPrs, deriveQrPrs } from './prs.js';
export {
  NODE_SIGNATURE_CONTEXT,
  generateNodeIdentityKeys,
  identityKeyFingerprint,
  signTranscript,
  verifyTranscriptSignature,
  type KeyPair,
  type NodeIdentityKeys,
} from './keys.js';
export { certificateFingerprint } from './binding.js';
export { type PairingSessionParams } from './protocol.js';
export { PairingInitiator, type NodeConfirmation } from './PairingInitiator.js';
export { PairingResponder } from './PairingResponder.js';
export { formatQrUri, parseQrUri, type QrPairingPayload } from './qrUri.js';
