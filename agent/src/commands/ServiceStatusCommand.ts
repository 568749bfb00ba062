import { Command } from 'clipanion';
import { ServiceStatusCommandBase } from '@palyra/shared/service';
import { AGENT_SERVICE } from '../service/agentService.js';

export class ServiceStatusCommand extends ServiceStatusCommandBase {
  static override paths = [['service', 'status']];
  static override usage = Command.Usage({
    description: "Show palyra-node's systemd service",
    details: `
      The unit file and what systemd says of it (enabled, active, main pid). No unit:
      PALYRA_E_SERVICE_NOT_INSTALLED.
    `,
    examples: [
      ['The system service', 'palyra-node service status --system'],
      ['Your own service, as JSON', 'palyra-node service status --user --json'],
    ],
  });

  protected readonly program = AGENT_SERVICE;
}
