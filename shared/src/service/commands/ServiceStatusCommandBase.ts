import { serviceStatus } from '../serviceStatus.js';
import { ServiceCommand } from './ServiceCommand.js';

/** `service status`: the unit and systemd's view of it. */
export abstract class ServiceStatusCommandBase extends ServiceCommand {
  async execute(): Promise<number> {
    const plan = this.plan();
    const status = await this.withSignal((signal) => serviceStatus(plan, { signal }));
    if (this.json) {
      this.printJson(status);
      return 0;
    }
    this.print(`unit      ${status.unitPath}${status.writtenByPalyra ? '' : ' (not written by service install)'}`);
    this.print(`enabled   ${status.unitFileState}`);
    this.print(`active    ${status.activeState} (${status.subState})${status.mainPid === null ? '' : ` pid ${status.mainPid}`}${status.activeSince === null ? '' : ` since ${status.activeSince}`}`);
    this.print(`state     ${status.stateDir}`);
    return 0;
  }
}
