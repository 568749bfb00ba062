export { NodeAgent, type NodeAgentOptions } from './NodeAgent.js';
export { joinDaemon, type JoinOptions } from './pairing/joinDaemon.js';
export { FileIdentityStore, type IdentityStore, type NodeIdentity } from './identity/index.js';
export { PluginHost } from './plugins/index.js';
export { loadAgentConfig, type AgentConfig, type PluginConfigEntry } from './config/index.js';
