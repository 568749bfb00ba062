import { loadConfigFile } from '@palyra/shared/config';
import { validateLabels } from '@palyra/shared/labels';
import { AGENT_CONFIG_SCHEMA, type AgentConfig } from './AgentConfig.js';

export interface LoadedAgentConfig {
  config: AgentConfig;
  /** The file it came from, or null when none was found (built-in defaults). */
  filepath: string | null;
  /** Directory relative plugin paths resolve against. */
  baseDir: string;
}

/**
 * Loads the agent's config (cosmiconfig name `palyra-node`): --config, else
 * PALYRA_NODE_CONFIG, else the first palyra-node config found from the working directory up.
 */
export async function loadAgentConfig(
  { explicitPath, cwd }: { explicitPath?: string; cwd?: string } = {},
): Promise<LoadedAgentConfig> {
  const loaded = await loadConfigFile<AgentConfig>({ name: 'palyra-node', schema: AGENT_CONFIG_SCHEMA, explicitPath, envVar: 'PALYRA_NODE_CONFIG', cwd });
  // The schema bounds the shape; the label syntax (PALYRA_E_LABEL_INVALID naming the key) is checked here, once.
  if (loaded.config.labels !== undefined) validateLabels(loaded.config.labels);
  return loaded;
}
