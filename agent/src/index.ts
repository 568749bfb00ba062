export { NodeAgent, type NodeAgentOptions } from './NodeAgent.js';
export { joinDaemon, type JoinOptions, type JoinSecret } from './pairing/joinDaemon.js';
export { FileIdentityStore, VaultIdentityStore, type IdentityStore, type NodeIdentity } from './identity/index.js';
export { PluginHost } from './plugins/index.js';
export { loadAgentConfig, type AgentConfig, type PluginConfigEntry } from './config/index.js';
