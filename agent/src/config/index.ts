export { AGENT_CONFIG_SCHEMA, type AgentConfig, type PluginConfigEntry } from './AgentConfig.js';
export { loadAgentConfig, type LoadedAgentConfig } from './loadAgentConfig.js';
