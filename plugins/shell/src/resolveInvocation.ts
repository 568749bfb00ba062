import { PalyraError } from '@palyra/shared/errors';
import type { ResolvedGrants } from './grants.js';
import { resolveCommand } from './resolveCommand.js';
import type { ShellExecInput } from './schemas.js';

/** The shell used for `shell: true`. */
export const SHELL_PATH = '/bin/sh';

export interface Invocation {
  /** Absolute path of the program to spawn. */
  file: string;
  args: string[];
  /** The command as the caller named it, for messages and logs. */
  label: string;
}

/**
 * What to spawn for `input`, once allowed:
 * - argv form (default): `command` checked against `grants.commands`, `args` passed as-is;
 * - `shell: true`: only with `grants.allowShell`; runs `/bin/sh -c <command> sh ...args`, so
 *   args are `$1`, `$2`, ... and are never spliced into the shell string.
 */
export async function resolveInvocation(input: ShellExecInput, grants: ResolvedGrants, searchPath: string | undefined): Promise<Invocation> {
  const args = input.args ?? [];
  if (input.shell === true) {
    if (!grants.allowShell) {
      throw new PalyraError(
        'PALYRA_E_CAPABILITY_DENIED',
        'shell strings (shell: true) are not allowed on this node; pass the program and its args in argv form, or set ' +
          `grants.allowShell: true on the { use: 'shell' } entry in the palyra-node config (it lets callers run any program)`,
        { details: { shell: true } },
      );
    }
    if (process.platform === 'win32') {
      throw new PalyraError('PALYRA_E_EXEC_FAILED', 'shell: true needs /bin/sh and is supported on POSIX nodes only');
    }
    return { file: SHELL_PATH, args: ['-c', input.command, 'sh', ...args], label: 'sh -c' };
  }
  const file = await resolveCommand(input.command, grants.commands, searchPath);
  return { file, args: [...args], label: input.command };
}
