// The plugin contract lives in @palyra/plugin-sdk, which plugin authors import; this entry
// re-exports it for the project's own code.
export {
  PLUGIN_API_VERSION,
  defineCapability,
  definePlugin,
  dispatchAbortError,
  throwIfAborted,
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
} from '@palyra/plugin-sdk';
