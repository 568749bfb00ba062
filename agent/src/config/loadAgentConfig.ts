import { dirname, resolve } from 'node:path';
import { cosmiconfig } from 'cosmiconfig';
import { PalyraError, compileSchema } from '@palyra/shared';
import { AGENT_CONFIG_SCHEMA, type AgentConfig } from './AgentConfig.js';

export interface LoadedAgentConfig {
  config: AgentConfig;
  /** The file it came from, or null when none was found (built-in defaults). */
  filepath: string | null;
  /** Directory relative plugin paths resolve against. */
  baseDir: string;
}

const SEARCH_PLACES = [
  'package.json',
  '.palyra-noderc',
  '.palyra-noderc.json',
  '.palyra-noderc.yaml',
  '.palyra-noderc.yml',
  '.palyra-noderc.js',
  '.palyra-noderc.mjs',
  'palyra-node.config.json',
  'palyra-node.config.js',
  'palyra-node.config.mjs',
];

const validate = compileSchema(AGENT_CONFIG_SCHEMA, 'the agent config schema');

/**
 * Loads the agent's config: an explicit file (--config or PALYRA_NODE_CONFIG), else the
 * first `palyra-node` config cosmiconfig finds from the working directory up
 * (.palyra-noderc, palyra-node.config.json, a "palyra-node" key in package.json, ...).
 */
export async function loadAgentConfig(
  { explicitPath, cwd = process.cwd() }: { explicitPath?: string; cwd?: string } = {},
): Promise<LoadedAgentConfig> {
  const explorer = cosmiconfig('palyra-node', {
    searchPlaces: SEARCH_PLACES,
    // Look in the working directory and its parents, up to the project root or home.
    searchStrategy: 'global',
  });
  const path = explicitPath ?? (process.env.PALYRA_NODE_CONFIG || undefined);
  let result: { config: unknown; filepath: string; isEmpty?: boolean } | null;
  try {
    result = path !== undefined ? await explorer.load(resolve(cwd, path)) : await explorer.search(cwd);
  } catch (error) {
    const where = path !== undefined ? resolve(cwd, path) : 'the palyra-node config';
    throw new PalyraError('PALYRA_E_CONFIG_INVALID', `cannot read ${where}: ${(error as Error).message}`, { cause: error });
  }
  if (result === null || result.isEmpty === true) {
    return { config: {}, filepath: result?.filepath ?? null, baseDir: cwd };
  }
  const problems = validate(result.config);
  if (problems.length > 0) {
    throw new PalyraError(
      'PALYRA_E_CONFIG_INVALID',
      `${result.filepath}: ${problems.join('; ')} (see docs/plugins.md for the config format)`,
    );
  }
  return { config: result.config as AgentConfig, filepath: result.filepath, baseDir: dirname(result.filepath) };
}
