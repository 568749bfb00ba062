import { isAbsolute } from 'node:path';
import { FALLBACK_PATH, describePathEntries, splitPath } from './childPath.js';
import { findOnPath } from './findOnPath.js';
import type { ResolvedGrants } from './grants.js';

/** Variables that let whoever sets them run code of their choosing in the child. */
const CODE_LOADING_ENV = ['PATH', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'NODE_OPTIONS', 'BASH_ENV', 'ENV', 'PYTHONPATH', 'PERL5OPT'];

/**
 * What an operator should hear about these grants, and the agent's PATH they are resolved on,
 * at startup (warnings, not errors).
 */
export async function reviewGrants(grants: ResolvedGrants, searchPath: string | undefined): Promise<string[]> {
  const notes: string[] = [];
  const path = splitPath(searchPath);
  if (path.dropped.length > 0) {
    const fallback = path.kept.length === 0 ? `; none is absolute, so commands get PATH=${FALLBACK_PATH}` : '';
    notes.push(
      `the agent's PATH has empty or relative entries (${describePathEntries(path.dropped)}): shell.exec never resolves ` +
        `a command there and leaves them out of the PATH its commands get${fallback}`,
    );
  }
  if (grants.commands.length === 0 && !grants.allowShell) {
    notes.push('grants.commands is empty: shell.exec refuses every command');
  }
  if (grants.allowShell) {
    notes.push('grants.allowShell is true: callers can run any program through /bin/sh, whatever grants.commands says');
  }
  for (const entry of grants.commands) {
    if (!isAbsolute(entry) && (await findOnPath(entry, searchPath)) === null) {
      notes.push(`grants.commands: "${entry}" is not found on the agent's PATH`);
    }
  }
  const risky = [...grants.env].filter((name) => CODE_LOADING_ENV.includes(name) || name.startsWith('DYLD_'));
  if (risky.length > 0) {
    notes.push(`grants.env lets callers set ${risky.join(', ')}, which can make granted commands run other code`);
  }
  return notes;
}
