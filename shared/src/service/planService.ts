import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { PalyraError } from '../errors/index.js';
import { VAULT_CHOICES } from '../vault/types.js';
import type { ServicePlan, ServiceProgram, ServiceScope } from './types.js';

/** Test seam: where unit files go instead of /etc/systemd/system or ~/.config/systemd/user. */
export const TEST_UNIT_DIR_ENV = 'PALYRA_TEST_SYSTEMD_UNIT_DIR';

const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

export interface PlanOptions {
  /** --user / --system; neither: system for root, else user. */
  user?: boolean;
  system?: boolean;
  /** --config FILE: written into the unit as the program's config variable (an absolute path). */
  config?: string | undefined;
  /** --service-user NAME (system units only). */
  serviceUser?: string | undefined;
  /** --vault CHOICE: PALYRA_VAULT of the unit (default: `file` for a system unit, unset for a user unit). */
  vault?: string | undefined;
  /** The program's own script (default: process.argv[1], resolved through links as npm's bin link is). */
  script?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
}

export function resolveScope(options: Pick<PlanOptions, 'user' | 'system' | 'uid'>): ServiceScope {
  if (options.user === true && options.system === true) throw new PalyraError('PALYRA_E_USAGE', '--user and --system exclude each other');
  if (options.user === true) return 'user';
  if (options.system === true) return 'system';
  return (options.uid ?? process.getuid?.() ?? -1) === 0 ? 'system' : 'user';
}

/** Decides the unit (scope, path, command, environment) without touching the host. */
export function planService(program: ServiceProgram, options: PlanOptions = {}): ServicePlan {
  const env = options.env ?? process.env;
  const scope = resolveScope(options);
  if (options.serviceUser !== undefined && scope !== 'system') {
    throw new PalyraError('PALYRA_E_USAGE', '--service-user goes with --system: a user unit runs as the user who installs it');
  }
  const user = scope === 'system' ? (options.serviceUser ?? program.systemUser) : undefined;
  if (user !== undefined && !USER_NAME.test(user)) {
    throw new PalyraError('PALYRA_E_USAGE', `--service-user must be a plain account name (lower-case letters, digits, _ and -), got ${JSON.stringify(user)}`);
  }
  if (user === 'root' || user === 'nobody') {
    // root would void the sandbox; nobody is shared by whatever else runs as nobody, so the
    // service's files would be theirs too (systemd-analyze verify calls it unsafe).
    throw new PalyraError('PALYRA_E_USAGE', `--service-user ${user} is not a service account: give the service an account of its own (the default ${program.systemUser} is created when missing)`);
  }
  const vault = options.vault ?? (scope === 'system' ? 'file' : undefined);
  if (vault !== undefined && !(VAULT_CHOICES as readonly string[]).includes(vault)) {
    throw new PalyraError('PALYRA_E_USAGE', `--vault is one of ${VAULT_CHOICES.join(', ')} (got ${JSON.stringify(vault)})`);
  }
  const stateDir = scope === 'system' ? join('/var/lib', program.stateDirectory) : join(xdgStateHome(env), program.stateDirectory);
  const environment: Array<{ name: string; value: string; literal: boolean }> = [
    // A system unit: %S is /var/lib, where StateDirectory= creates it. A user unit names the
    // directory `palyra-node`/`palyrad` use by default for that user ($XDG_STATE_HOME) as a
    // literal path: %S in a user manager is $XDG_CONFIG_HOME before systemd 254 (Debian 12,
    // Ubuntu 22.04), so `%S/...` would not be the directory `join` and the follow-up use.
    scope === 'system'
      ? { name: 'PALYRA_STATE_DIR', value: `%S/${program.stateDirectory}`, literal: false }
      : { name: 'PALYRA_STATE_DIR', value: stateDir, literal: true },
  ];
  // A system service has no Secret Service to ask: its keys sit in the 0700 state directory.
  if (vault !== undefined) environment.push({ name: 'PALYRA_VAULT', value: vault, literal: true });
  if (options.config !== undefined) {
    if (options.config === '') throw new PalyraError('PALYRA_E_USAGE', '--config needs a file');
    environment.push({ name: program.configEnv, value: resolve(options.config), literal: true });
  }
  const unitName = `${program.unit}.service`;
  return {
    program,
    scope,
    unitName,
    unitPath: join(unitDirectory(scope, env), unitName),
    user,
    exec: [process.execPath, programScript(options.script), ...program.args],
    environment,
    stateDir,
  };
}

function unitDirectory(scope: ServiceScope, env: NodeJS.ProcessEnv): string {
  const override = env[TEST_UNIT_DIR_ENV];
  if (override !== undefined && override !== '') return resolve(override);
  if (scope === 'system') return '/etc/systemd/system';
  const config = env.XDG_CONFIG_HOME;
  return join(config !== undefined && isAbsolute(config) ? config : join(homedir(), '.config'), 'systemd', 'user');
}

function xdgStateHome(env: NodeJS.ProcessEnv): string {
  const state = env.XDG_STATE_HOME;
  return state !== undefined && isAbsolute(state) ? state : join(homedir(), '.local', 'state');
}

/**
 * The script the unit starts: this very program, through npm's bin link to the file it points
 * at, so the unit keeps working from wherever `npm install -g` put the package.
 */
function programScript(script: string | undefined): string {
  const path = script ?? process.argv[1];
  if (path === undefined || path === '') throw new PalyraError('PALYRA_E_INTERNAL', 'cannot tell which script runs this program');
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
