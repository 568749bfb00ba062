export {
  PLUGIN_API_VERSION,
  type CapabilityContext,
  type CapabilityDefinition,
  type CapabilityKind,
  type JsonSchema,
  type PluginDefinition,
  type PluginLogger,
  type PluginSecrets,
  type PluginSetupContext,
  type ProgressUpdate,
  type SecretInfo,
} from './types.js';
export { CAPABILITY_ID_PATTERN } from './capabilityId.js';
export { defineCapability, definePlugin } from './definePlugin.js';
export { dispatchAbortError } from './abortError.js';
export { throwIfAborted } from './throwIfAborted.js';
