import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export type ProgramName = 'palyra' | 'palyra-node';

/**
 * State lives in --state-dir, else PALYRA_STATE_DIR, else the XDG state dir
 * ($XDG_STATE_HOME/<program>, default ~/.local/state/<program>).
 */
export function resolveStateDir(program: ProgramName, flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return resolve(flag);
  const fromEnv = env.PALYRA_STATE_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  const xdg = env.XDG_STATE_HOME;
  const base = xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.local', 'state');
  return join(base, program);
}
