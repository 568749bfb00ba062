import { Command } from 'clipanion';
import { ServiceInstallCommandBase } from '@palyra/shared/service';
import { AGENT_SERVICE } from '../service/agentService.js';
import { AGENT_VERSION } from '../version.js';

export class ServiceInstallCommand extends ServiceInstallCommandBase {
  static override paths = [['service', 'install']];
  static override usage = Command.Usage({
    description: 'Run palyra-node as a systemd service',
    details: `
      Writes a systemd unit with the sandbox of examples/systemd, then enables and starts it.
      \`--system\` (the default for root): /etc/systemd/system/palyra-node.service, run as a system account
      (created when missing), state in /var/lib/palyra-node (0700, created by systemd), keys in a
      key file there (PALYRA_VAULT=file). \`--user\`: ~/.config/systemd/user/palyra-node.service in your own
      systemd manager, state in ~/.local/state/palyra-node, the same directory palyra-node uses by default (not as root:
      it would run as root without the system sandbox).
      The unit starts this very installation (this Node, this script). \`--dry-run\` prints the
      unit instead (check it with \`systemd-analyze verify\`). A host without systemd gets
      PALYRA_E_SYSTEMD_UNAVAILABLE, naming what to run instead.
    `,
    examples: [
      ['Install for the whole host', 'sudo palyra-node service install --system'],
      ['Install in your own systemd manager, with a config file', 'palyra-node service install --user --config ./palyra-node.config.json'],
      ['Print the unit', 'palyra-node service install --system --dry-run'],
    ],
  });

  protected readonly program = AGENT_SERVICE;
  protected readonly version = AGENT_VERSION;
}
