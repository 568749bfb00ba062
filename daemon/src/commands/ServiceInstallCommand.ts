import { Command } from 'clipanion';
import { ServiceInstallCommandBase } from '@palyra/shared/service';
import { DAEMON_SERVICE } from '../service/daemonService.js';
import { DAEMON_VERSION } from '../version.js';

export class ServiceInstallCommand extends ServiceInstallCommandBase {
  static override paths = [['service', 'install']];
  static override usage = Command.Usage({
    description: 'Run palyrad as a systemd service',
    details: `
      Writes a systemd unit with the sandbox of examples/systemd, then enables and starts it.
      \`--system\` (the default for root): /etc/systemd/system/palyrad.service, run as a system account
      (created when missing), state in /var/lib/palyra (0700, created by systemd), keys in a
      key file there (PALYRA_VAULT=file). \`--user\`: ~/.config/systemd/user/palyrad.service in your own
      systemd manager, state in ~/.local/state/palyra, the same directory palyrad uses by default (not as root:
      it would run as root without the system sandbox).
      The unit starts this very installation (this Node, this script). \`--dry-run\` prints the
      unit instead (check it with \`systemd-analyze verify\`). A host without systemd gets
      PALYRA_E_SYSTEMD_UNAVAILABLE, naming what to run instead.
    `,
    examples: [
      ['Install for the whole host', 'sudo palyrad service install --system'],
      ['Install in your own systemd manager, with a config file', 'palyrad service install --user --config ./palyrad.config.json'],
      ['Print the unit', 'palyrad service install --system --dry-run'],
    ],
  });

  protected readonly program = DAEMON_SERVICE;
  protected readonly version = DAEMON_VERSION;
}
