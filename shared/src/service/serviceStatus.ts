import { PalyraError } from '../errors/index.js';
import { readUnit, writtenByPalyra } from './hostSteps.js';
import { Systemctl } from './systemctl.js';
import type { ServicePlan } from './types.js';

export interface ServiceStatus {
  scope: ServicePlan['scope'];
  unitName: string;
  unitPath: string;
  /** The unit file starts with the marker service install writes. */
  writtenByPalyra: boolean;
  /** systemd's view (`systemctl show`). */
  loadState: string;
  activeState: string;
  subState: string;
  unitFileState: string;
  mainPid: number | null;
  /** When the service last entered the active state (null when never). */
  activeSince: string | null;
  stateDir: string;
}

const PROPERTIES = ['LoadState', 'ActiveState', 'SubState', 'UnitFileState', 'MainPID', 'ActiveEnterTimestamp'] as const;

/** The installed unit and what systemd says about it; PALYRA_E_SERVICE_NOT_INSTALLED without a unit file. */
export async function serviceStatus(plan: ServicePlan, options: { signal?: AbortSignal } = {}): Promise<ServiceStatus> {
  const unit = await readUnit(plan.unitPath);
  if (unit === undefined) {
    throw new PalyraError(
      'PALYRA_E_SERVICE_NOT_INSTALLED',
      `no ${plan.scope} unit ${plan.unitPath}: install one with ${plan.program.binary} service install --${plan.scope}`,
    );
  }
  const systemctl = await Systemctl.connect(plan.program, plan.scope, options.signal);
  const shown = await systemctl.show(plan.unitName, PROPERTIES, options.signal);
  const pid = Number(shown.MainPID ?? '0');
  const since = shown.ActiveEnterTimestamp ?? '';
  return {
    scope: plan.scope,
    unitName: plan.unitName,
    unitPath: plan.unitPath,
    writtenByPalyra: writtenByPalyra(unit),
    loadState: shown.LoadState ?? 'unknown',
    activeState: shown.ActiveState ?? 'unknown',
    subState: shown.SubState ?? 'unknown',
    unitFileState: shown.UnitFileState ?? 'unknown',
    mainPid: Number.isInteger(pid) && pid > 0 ? pid : null,
    activeSince: since === '' || since === 'n/a' ? null : since,
    stateDir: plan.stateDir,
  };
}
