import { PLUGIN_API_VERSION, type CapabilityDefinition, type PluginDefinition } from './types.js';

/**
 * Declares a plugin. Only types are checked here; the agent's plugin host validates the
 * manifest (names, versions, schemas, duplicate ids) when it loads the plugin.
 */
export function definePlugin<Grants = Record<string, never>>(plugin: PluginDefinition<Grants>): PluginDefinition<Grants> {
  return plugin;
}

/** Declares one capability with its input and output types. */
export function defineCapability<Input, Output, Grants = Record<string, never>>(
  capability: CapabilityDefinition<Input, Output, Grants>,
): CapabilityDefinition<Input, Output, Grants> {
  return capability;
}

export { PLUGIN_API_VERSION };
