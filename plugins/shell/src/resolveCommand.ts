import { isAbsolute, normalize } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { findOnPath } from './findOnPath.js';

/**
 * Checks `command` against the allowlist BEFORE anything runs and returns the absolute path
 * to spawn. A command is allowed when:
 * - it is a bare name listed in `allowlist`, or
 * - it is (or, as a bare name, resolves on `searchPath` to) an absolute path listed in
 *   `allowlist`, or that a listed bare name resolves to.
 *
 * `searchPath` is the agent's PATH, never the caller's: a caller-supplied PATH cannot swap
 * the program behind an allowed name. Relative paths (`./x`, `bin/x`) are refused.
 *
 * Throws PALYRA_E_CAPABILITY_DENIED when not allowed, PALYRA_E_EXEC_FAILED when an allowed
 * bare name is not found on PATH.
 */
export async function resolveCommand(command: string, allowlist: readonly string[], searchPath: string | undefined): Promise<string> {
  if (isAbsolute(command)) {
    const file = normalize(command);
    if (allowlist.includes(file)) return file;
    if (await someNameResolvesTo(file, allowlist, searchPath)) return file;
    throw denied(command);
  }
  if (command.includes('/') || command.includes('\\')) {
    throw new PalyraError(
      'PALYRA_E_CAPABILITY_DENIED',
      `command "${command}" is a relative path; shell.exec runs a program name found on PATH or an absolute path`,
      { details: { command } },
    );
  }
  const resolved = await findOnPath(command, searchPath);
  if (allowlist.includes(command)) {
    if (resolved === null) {
      throw new PalyraError('PALYRA_E_EXEC_FAILED', `cannot start "${command}": not found on the agent's PATH`, {
        details: { command, code: 'ENOENT' },
      });
    }
    return resolved;
  }
  if (resolved !== null && allowlist.includes(resolved)) return resolved;
  throw denied(command);
}

async function someNameResolvesTo(file: string, allowlist: readonly string[], searchPath: string | undefined): Promise<boolean> {
  for (const entry of allowlist) {
    if (isAbsolute(entry)) continue;
    if ((await findOnPath(entry, searchPath)) === file) return true;
  }
  return false;
}

function denied(command: string): PalyraError {
  return new PalyraError(
    'PALYRA_E_CAPABILITY_DENIED',
    `command "${command}" is not allowed on this node; to allow it, add "${command}" to grants.commands of the ` +
      `{ use: 'shell' } entry in the palyra-node config (see docs/plugins/shell.md)`,
    { details: { command } },
  );
}
