/**
 * Where a program's config file is looked for, in order, in the working directory and each
 * parent up to the home directory: the one list the loader hands cosmiconfig and
 * docs/configuration.md and docs/plugins.md list (a test checks both against it).
 */
export function configSearchPlaces(name: string): string[] {
  return [
    'package.json',
    `.${name}rc`,
    `.${name}rc.json`,
    `.${name}rc.yaml`,
    `.${name}rc.yml`,
    `.${name}rc.js`,
    `.${name}rc.mjs`,
    `${name}.config.json`,
    `${name}.config.js`,
    `${name}.config.mjs`,
  ];
}

/**
 * What cosmiconfig looks for last, in the user's config directory for the program
 * (`$XDG_CONFIG_HOME/<name>/`, default `~/.config/<name>/`). cosmiconfig fixes this list
 * (its `globalConfigSearchPlaces`; a test checks this copy against it): it is written here so
 * the docs can be checked without loading cosmiconfig, which the loader imports on demand.
 */
export const GLOBAL_CONFIG_SEARCH_PLACES: readonly string[] = Object.freeze([
  'config',
  'config.json',
  'config.yaml',
  'config.yml',
  'config.js',
  'config.ts',
  'config.cjs',
  'config.mjs',
]);
