import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where an operator's profiles live: `$XDG_CONFIG_HOME/palyra`, else `~/.config/palyra`.
 * Configuration, not state: a profile is what the operator chose (daemon, pinned CA), and it
 * belongs to the operator, not to any daemon's state dir.
 */
export function operatorConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg !== undefined && xdg !== '' ? resolve(xdg) : join(homedir(), '.config'), 'palyra');
}
