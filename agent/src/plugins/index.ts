export { PluginHost, DEFAULT_PLUGIN_SETUP_TIMEOUT_MS } from './PluginHost.js';
export {
  validatePluginManifest,
  CAPABILITY_ID_PATTERN,
  CAPABILITY_KINDS,
  PLUGIN_NAME_PATTERN,
  PLUGIN_VERSION_PATTERN,
  type ValidatedCapability,
  type ValidatedPlugin,
} from '@palyra/plugin-sdk/host';
export { resolvePluginModule, isPluginPath, type ResolvedPluginModule } from './resolvePluginModule.js';
export { DEFAULT_BUILTINS } from './builtins.js';
export { ScopedLogger } from '@palyra/plugin-sdk/host';
export { stderrLogger } from './stderrLogger.js';
export type {
  BuiltinPlugin,
  CapabilityDescriptor,
  ExecuteRequest,
  ExecutionOutcome,
  ExecutionSink,
  ExecutionStatus,
  LoadedPluginInfo,
  PluginHostLoadOptions,
} from './types.js';
