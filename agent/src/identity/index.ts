export { FileIdentityStore, parseIdentity } from './FileIdentityStore.js';
export { VaultIdentityStore, NODE_VAULT_NAME, type VaultIdentityStoreOptions } from './VaultIdentityStore.js';
export type { IdentityStore, NodeIdentity } from './NodeIdentity.js';
