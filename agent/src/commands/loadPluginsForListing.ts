import type { CapabilityDescriptor, LoadedPluginInfo } from '../plugins/index.js';

export interface PluginListing {
  configFile: string | null;
  plugins: LoadedPluginInfo[];
  capabilities: CapabilityDescriptor[];
}

/** Loads the configured plugins the way `run` would, lists them, and disposes them again. */
export async function loadPluginsForListing(configPath: string | undefined): Promise<PluginListing> {
  // Loaded on use: the commands that import this module are all imported at start-up.
  const [{ loadAgentConfig }, { PluginHost, stderrLogger }] = await Promise.all([import('../config/index.js'), import('../plugins/index.js')]);
  const { config, baseDir, filepath } = await loadAgentConfig({ explicitPath: configPath });
  const host = await PluginHost.load({ config, baseDir, signal: new AbortController().signal, logger: stderrLogger });
  try {
    return { configFile: filepath, plugins: host.plugins(), capabilities: host.capabilities() };
  } finally {
    await host.dispose();
  }
}
