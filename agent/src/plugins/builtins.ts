import type { BuiltinPlugin } from './types.js';

/** The plugins every node loads unless its config says `{ "use": "<name>", "enabled": false }`. */
export const DEFAULT_BUILTINS: Readonly<Record<string, BuiltinPlugin>> = Object.freeze({
  filesystem: Object.freeze({ source: '@palyra/plugin-filesystem', load: () => import('@palyra/plugin-filesystem') }),
  shell: Object.freeze({ source: '@palyra/plugin-shell', load: () => import('@palyra/plugin-shell') }),
  browser: Object.freeze({ source: '@palyra/plugin-browser', load: () => import('@palyra/plugin-browser') }),
});
