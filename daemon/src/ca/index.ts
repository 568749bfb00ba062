export { CertificateAuthority, type CaGenerationInfo, type RotateOptions, type RotateStep } from './CertificateAuthority.js';
export { CaGeneration, type CaRole } from './CaGeneration.js';
export { CA_STATE_FILE, generationFiles } from './caState.js';
export { NodeCsr } from './NodeCsr.js';
export { StateDirectory } from '@palyra/shared/fs';
export { PlaintextKeyFiles } from './PlaintextKeyFiles.js';
export { VaultKeyStore, DAEMON_VAULT_NAME, type OpenVaultKeyStoreOptions } from './VaultKeyStore.js';
export {
  CA_CERT_FILE,
  CA_KEY_FILE,
  NODE_DEFAULT_VALIDITY_MS,
  NODE_MAX_VALIDITY_MS,
  SERVER_CERT_FILE,
  SERVER_KEY_FILE,
} from './constants.js';
export type {
  CaKeyStore,
  EnsureServerCertificateOptions,
  LoadOrCreateOptions,
  NodeCertificate,
  ServerCertificate,
  SignNodeCsrOptions,
} from './types.js';
