import { PalyraError } from '../errors/index.js';
import { octalMode } from '../fs/ownership.js';
import { walkPath } from '../fs/walkPath.js';
import type { ServicePlan } from './types.js';

const STICKY = 0o1000;

/**
 * A system unit runs what it names as the service's account at every start: the Node binary,
 * the program's script, and the config file (whose `plugins` entries load code). A user other
 * than root who can replace one of them, or a directory on the way to one, would run code as
 * that account (the daemon's CA keys, the node's identity). Such a unit is refused. A path
 * that does not exist yet (a --config to come) is checked as far as it exists.
 */
export async function assertRootControlled(plan: ServicePlan): Promise<void> {
  if (plan.scope !== 'system') return;
  const config = plan.environment.find((e) => e.name === plan.program.configEnv && e.literal);
  const paths: Array<[string, string]> = [
    ['the Node binary', plan.exec[0] ?? ''],
    [`${plan.program.binary}'s script`, plan.exec[1] ?? ''],
    ...(config === undefined ? [] : [['the config file', config.value] as [string, string]]),
  ];
  for (const [what, path] of paths) await checkPath(plan, what, path);
}

async function checkPath(plan: ServicePlan, what: string, path: string): Promise<void> {
  // A path that does not exist (yet) has been checked as far as it exists.
  await walkPath(path, {
    what,
    visit: ({ path: next, info }) => {
      if (info.uid !== 0) refuse(plan, what, path, `${next} belongs to uid ${info.uid}`, `chown root ${next}`);
      // A sticky directory (/tmp) lets nobody else rename or replace root's entries in it.
      if (!info.isSymbolicLink() && (info.mode & 0o022) !== 0 && !(info.isDirectory() && (info.mode & STICKY) !== 0)) {
        refuse(plan, what, path, `${next} is writable by group or others (mode ${octalMode(info.mode)})`, `chmod go-w ${next}`);
      }
    },
    error: (message, cause) => new PalyraError('PALYRA_E_SERVICE_FAILED', message, cause === undefined ? {} : { cause }),
  });
}

function refuse(plan: ServicePlan, what: string, path: string, why: string, fix: string): never {
  throw new PalyraError(
    'PALYRA_E_SERVICE_FAILED',
    `${what} ${path} can be replaced by a user other than root (${why}), and the system service would run it as ${plan.user ?? 'its account'} at every start: ` +
      `install Node and ${plan.program.binary} as root (npm install -g), keep the config file in a root-owned directory, or run \`${fix}\``,
    { details: { path, why } },
  );
}
