import { Command } from 'clipanion';
import { ServiceStatusCommandBase } from '@palyra/shared/service';
import { DAEMON_SERVICE } from '../service/daemonService.js';

export class ServiceStatusCommand extends ServiceStatusCommandBase {
  static override paths = [['service', 'status']];
  static override usage = Command.Usage({
    description: "Show palyrad's systemd service",
    details: `
      The unit file and what systemd says of it (enabled, active, main pid). No unit:
      PALYRA_E_SERVICE_NOT_INSTALLED.
    `,
    examples: [
      ['The system service', 'palyrad service status --system'],
      ['Your own service, as JSON', 'palyrad service status --user --json'],
    ],
  });

  protected readonly program = DAEMON_SERVICE;
}
