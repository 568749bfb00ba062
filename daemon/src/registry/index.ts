export * from './types.js';
export { NodeRegistry } from './NodeRegistry.js';
export type {
  ApproveOptions,
  CertificateRenewal,
  RenewalListener,
  RenewedCertificate,
  RenewOptions,
  IssuedCertificate,
  NewPairingCode,
  NewPairingRequest,
  NodeInfoUpdate,
  NodeRegistryOptions,
  RequestListener,
  RevocationListener,
  SignalOption,
  WithdrawOptions,
} from './NodeRegistry.js';
export { RuntimeStateStore, emptyRuntimeState } from './RuntimeStateStore.js';
export { parseRuntimeState, readRuntimeStateFile } from './runtimeStateFile.js';
export type { RuntimeStateStoreOptions, StateFs } from './RuntimeStateStore.js';
export { StateValidationError, validateRuntimeState } from './validation.js';
export { identityChangeOf, identityChangeError, keyFingerprintOf, type IdentityChange } from './identityChange.js';
