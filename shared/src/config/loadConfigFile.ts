import { dirname, resolve } from 'node:path';
import { PalyraError } from '../errors/index.js';
import type { JsonSchema } from '../plugins/index.js';
import { compileSchema } from '../schema/index.js';
import { configSearchPlaces } from './configSearchPlaces.js';

export interface LoadedConfigFile<T> {
  config: Partial<T>;
  /** The file it came from, or null when none was found. */
  filepath: string | null;
  /** Directory that relative paths in the config resolve against. */
  baseDir: string;
}

export interface LoadConfigFileOptions {
  /** cosmiconfig module name: `palyra` (daemon) or `palyra-node` (agent). */
  name: string;
  schema: JsonSchema;
  /** --config, else the environment variable `envVar`, else cosmiconfig's search. */
  explicitPath?: string;
  envVar: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Finds and validates a program's config file: an explicit path, else the first of
 * configSearchPlaces(name) from the working directory up to the home directory, then of
 * GLOBAL_CONFIG_SEARCH_PLACES in the user's config directory for `name`. Problems name the
 * file, the key and the fix.
 */
export async function loadConfigFile<T>(options: LoadConfigFileOptions): Promise<LoadedConfigFile<T>> {
  const { name, cwd = process.cwd(), env = process.env } = options;
  // Loaded on demand: cosmiconfig and its parsers cost more start-up time than most
  // commands spend doing their work.
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig(name, {
    searchPlaces: configSearchPlaces(name),
    searchStrategy: 'global',
  });
  const envPath = env[options.envVar];
  const path = options.explicitPath ?? (envPath === undefined || envPath === '' ? undefined : envPath);
  let result: { config: unknown; filepath: string; isEmpty?: boolean } | null;
  try {
    result = path !== undefined ? await explorer.load(resolve(cwd, path)) : await explorer.search(cwd);
  } catch (error) {
    const where = path !== undefined ? resolve(cwd, path) : `the ${name} config`;
    throw new PalyraError('PALYRA_E_CONFIG_INVALID', `cannot read ${where}: ${(error as Error).message}`, { cause: error });
  }
  if (result === null || result.isEmpty === true) {
    return { config: {}, filepath: result?.filepath ?? null, baseDir: cwd };
  }
  const problems = compileSchema(options.schema, `the ${name} config schema`)(result.config);
  if (problems.length > 0) {
    throw new PalyraError(
      'PALYRA_E_CONFIG_INVALID',
      `${result.filepath}: ${problems.join('; ')}: fix or remove that key (see docs/configuration.md)`,
    );
  }
  return { config: result.config as Partial<T>, filepath: result.filepath, baseDir: dirname(result.filepath) };
}
