import { readFile } from 'node:fs/promises';
import { PalyraError } from '../errors/index.js';
import { firstLine, runStep } from './systemctl.js';
import { UNIT_MARKER } from './renderUnit.js';
import type { ServicePlan } from './types.js';

/** A system unit is written to /etc and may create an account: root only, said up front. */
export function assertCanManage(plan: ServicePlan, verb: 'install' | 'uninstall', uid = process.getuid?.() ?? 0): void {
  if (plan.scope === 'system' && uid !== 0) {
    throw new PalyraError(
      'PALYRA_E_SERVICE_FAILED',
      `service ${verb} --system changes ${plan.unitPath} and the host's services: run it as root (sudo ${plan.program.binary} service ${verb} --system), or use --user for a service of your own`,
    );
  }
}

/**
 * A user unit of root runs as root, in root's user manager, with only the user sandbox (no
 * CapabilityBoundingSet=, no ProtectSystem=): the agent's shell plugin would run what the
 * daemon's operators ask as root. (Under sudo keeping HOME it would also write root-owned
 * directories into the invoking user's home.) Root installs the system unit: its own account,
 * the full sandbox.
 */
export function assertNotRootUserUnit(plan: ServicePlan, uid = process.getuid?.() ?? -1): void {
  if (plan.scope === 'user' && uid === 0) {
    throw new PalyraError(
      'PALYRA_E_USAGE',
      `service install --user as root would run ${plan.program.binary} as root without the system sandbox: use sudo ${plan.program.binary} service install --system (a system account of its own), or run --user as the user the service should run as`,
    );
  }
}

/** The unit file as it is on disk: undefined when there is none. */
export async function readUnit(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PalyraError('PALYRA_E_SERVICE_FAILED', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

export function writtenByPalyra(unit: string): boolean {
  return unit.startsWith(UNIT_MARKER);
}

/**
 * A unit someone wrote by hand (say a copy of examples/systemd) is theirs: install and
 * uninstall leave it alone and say so.
 */
export function assertOurs(plan: ServicePlan, unit: string, verb: 'install' | 'uninstall'): void {
  if (!writtenByPalyra(unit)) {
    throw new PalyraError(
      'PALYRA_E_SERVICE_FAILED',
      `${plan.unitPath} exists and was not written by ${plan.program.binary} service install: ${verb === 'install' ? 'move it away first' : 'remove it yourself'} (systemctl${plan.scope === 'user' ? ' --user' : ''} disable --now ${plan.unitName})`,
    );
  }
}

/**
 * The system account of the unit: kept when it exists, else created as a system user with
 * the state directory as home and no login shell. Returns whether it was created.
 */
export async function ensureServiceUser(plan: ServicePlan, signal?: AbortSignal): Promise<boolean> {
  const user = plan.user;
  if (user === undefined) return false;
  const known = await runStep('id', ['-u', user], signal);
  if (known.code === 0) {
    // The name check refuses `root`; an alias with uid 0 (BSD's toor, a hand-made one) is root too.
    if (known.stdout.trim() === '0') {
      throw new PalyraError('PALYRA_E_USAGE', `--service-user ${user} has uid 0: the service would run as root; give it an account of its own (the default ${plan.program.systemUser} is created when missing)`);
    }
    return false;
  }
  const created = await runStep('useradd', ['--system', '--user-group', '--home-dir', plan.stateDir, '--no-create-home', '--shell', '/usr/sbin/nologin', user], signal);
  if (created.code !== 0) {
    throw new PalyraError('PALYRA_E_SERVICE_FAILED', `the account ${user} does not exist and useradd could not create it (exit ${created.code}): ${firstLine(created)}; create it, or pick an existing one with --service-user`);
  }
  return true;
}
