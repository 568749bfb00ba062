import { Command } from 'clipanion';
import { ServiceUninstallCommandBase } from '@palyra/shared/service';
import { DAEMON_SERVICE } from '../service/daemonService.js';

export class ServiceUninstallCommand extends ServiceUninstallCommandBase {
  static override paths = [['service', 'uninstall']];
  static override usage = Command.Usage({
    description: "Stop and remove palyrad's systemd service",
    details: `
      Stops and disables the service and removes the unit that \`palyrad service install\` wrote
      (a unit written by hand is left alone). The state directory and the system account stay.
      Nothing installed: says so, exit 0.
    `,
    examples: [
      ['The system service', 'sudo palyrad service uninstall --system'],
      ['Your own service', 'palyrad service uninstall --user'],
    ],
  });

  protected readonly program = DAEMON_SERVICE;
}
