import { delimiter, isAbsolute } from 'node:path';

/** PATH for the child when the agent has none, or none of its entries is absolute. */
export const FALLBACK_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface PathEntries {
  /** The absolute entries, in order. */
  kept: string[];
  /** The entries left out: empty (`::`, a leading or trailing `:`) and relative (`.`, `bin`). */
  dropped: string[];
}

/**
 * Splits a PATH into its absolute entries and the rest. An empty or relative entry means
 * "the working directory" (or a directory under it) to execvp and to shells, so a program
 * planted where a command runs would be found whenever the command calls another by name.
 */
export function splitPath(path: string | undefined): PathEntries {
  const kept: string[] = [];
  const dropped: string[] = [];
  if (path === undefined) return { kept, dropped };
  for (const entry of path.split(delimiter)) (entry !== '' && isAbsolute(entry) ? kept : dropped).push(entry);
  return { kept, dropped };
}

/**
 * The PATH a child gets from `path`: its absolute entries only, or FALLBACK_PATH when there
 * are none (never an empty PATH: that too searches the working directory).
 */
export function childPath(path: string | undefined): string {
  const { kept } = splitPath(path);
  return kept.length > 0 ? kept.join(delimiter) : FALLBACK_PATH;
}

/** The entries for a message: each quoted, an empty one shown as `""`. */
export function describePathEntries(entries: readonly string[]): string {
  return entries.map((entry) => JSON.stringify(entry)).join(', ');
}
