import { Command } from 'clipanion';
import { ServiceUninstallCommandBase } from '@palyra/shared/service';
import { AGENT_SERVICE } from '../service/agentService.js';

export class ServiceUninstallCommand extends ServiceUninstallCommandBase {
  static override paths = [['service', 'uninstall']];
  static override usage = Command.Usage({
    description: "Stop and remove palyra-node's systemd service",
    details: `
      Stops and disables the service and removes the unit that \`palyra-node service install\` wrote
      (a unit written by hand is left alone). The state directory and the system account stay.
      Nothing installed: says so, exit 0.
    `,
    examples: [
      ['The system service', 'sudo palyra-node service uninstall --system'],
      ['Your own service', 'palyra-node service uninstall --user'],
    ],
  });

  protected readonly program = AGENT_SERVICE;
}
