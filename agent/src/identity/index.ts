export { FileIdentityStore } from './FileIdentityStore.js';
export type { IdentityStore, NodeIdentity } from './NodeIdentity.js';
