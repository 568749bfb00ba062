import { rm } from 'node:fs/promises';
import { PalyraError } from '../errors/index.js';
import { assertCanManage, assertOurs, readUnit } from './hostSteps.js';
import { Systemctl } from './systemctl.js';
import type { ServicePlan } from './types.js';

/**
 * Stops and disables the service and removes its unit. The state directory (identity, CA,
 * registry) and the system account stay: uninstalling the service is not forgetting the
 * node. Returns false when there was no unit (nothing to do).
 */
export async function uninstallService(plan: ServicePlan, options: { signal?: AbortSignal } = {}): Promise<boolean> {
  const { signal } = options;
  assertCanManage(plan, 'uninstall');
  const existing = await readUnit(plan.unitPath);
  if (existing === undefined) return false;
  assertOurs(plan, existing, 'uninstall');
  const systemctl = await Systemctl.connect(plan.program, plan.scope, signal);
  await systemctl.must(['disable', '--now', plan.unitName], signal);
  try {
    await rm(plan.unitPath);
  } catch (error) {
    throw new PalyraError('PALYRA_E_SERVICE_FAILED', `cannot remove ${plan.unitPath}: ${(error as Error).message}`, { cause: error });
  }
  await systemctl.must(['daemon-reload'], signal);
  return true;
}
