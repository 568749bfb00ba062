import { uninstallService } from '../uninstallService.js';
import { ServiceCommand } from './ServiceCommand.js';

/** `service uninstall`: stops, disables and removes the unit; the state stays. */
export abstract class ServiceUninstallCommandBase extends ServiceCommand {
  async execute(): Promise<number> {
    const plan = this.plan();
    const removed = await this.withSignal((signal) => uninstallService(plan, { signal }));
    if (this.json) {
      this.printJson({ scope: plan.scope, unitName: plan.unitName, unitPath: plan.unitPath, removed, stateDir: plan.stateDir });
      return 0;
    }
    this.print(removed ? `stopped, disabled and removed ${plan.unitPath}` : `no ${plan.scope} unit ${plan.unitPath}: nothing to do`);
    if (removed) this.print(`the state in ${plan.stateDir} stays${plan.user === undefined ? '' : ` (and the account ${plan.user})`}: remove it by hand to forget it`);
    return 0;
  }
}
