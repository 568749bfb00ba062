export { NodeAgent, type NodeAgentOptions } from './NodeAgent.js';
export { joinDaemon, type JoinOptions } from './pairing/joinDaemon.js';
export { FileIdentityStore, type IdentityStore, type NodeIdentity } from './identity/index.js';
