import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PalyraError } from '../errors/index.js';
import { writeFileAtomic } from '../fs/index.js';
import { assertCanManage, assertNotRootUserUnit, assertOurs, ensureServiceUser, readUnit } from './hostSteps.js';
import { Systemctl } from './systemctl.js';
import { assertRootControlled } from './trustedCode.js';
import type { ServicePlan } from './types.js';

export interface InstallOutcome {
  /** A unit this program wrote before was there and is replaced (the service restarts). */
  replaced: boolean;
  /** The system account was created (useradd). */
  userCreated: boolean;
}

/** Writes the unit, then enables and (re)starts it. Checks everything it can before writing. */
export async function installService(plan: ServicePlan, unit: string, options: { signal?: AbortSignal } = {}): Promise<InstallOutcome> {
  const { signal } = options;
  assertCanManage(plan, 'install');
  assertNotRootUserUnit(plan);
  await assertRootControlled(plan);
  const systemctl = await Systemctl.connect(plan.program, plan.scope, signal);
  const existing = await readUnit(plan.unitPath);
  if (existing !== undefined) assertOurs(plan, existing, 'install');
  const userCreated = await ensureServiceUser(plan, signal);
  try {
    await mkdir(dirname(plan.unitPath), { recursive: true, mode: 0o755 });
    // 0644 like every unit: systemd and `systemctl cat` read it; it holds no secret.
    await writeFileAtomic(plan.unitPath, unit, { mode: 0o644, signal });
  } catch (error) {
    if (error instanceof PalyraError && error.code === 'PALYRA_E_CANCELLED') throw error;
    throw new PalyraError('PALYRA_E_SERVICE_FAILED', `cannot write ${plan.unitPath}: ${(error as Error).message}`, { cause: error });
  }
  await systemctl.must(['daemon-reload'], signal);
  await systemctl.must(['enable', plan.unitName], signal);
  // restart, not start: a replaced unit must run with its new ExecStart and environment.
  await systemctl.must(['restart', plan.unitName], signal);
  return { replaced: existing !== undefined, userCreated };
}
