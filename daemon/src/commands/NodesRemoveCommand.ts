import { Command, Option } from 'clipanion';
import { displayText } from '@palyra/shared/text';
import { DaemonCommand } from './DaemonCommand.js';

export class NodesRemoveCommand extends DaemonCommand {
  static override paths = [['nodes', 'remove']];
  static override usage = Command.Usage({
    description: 'Unregister a node and revoke its certificate; its live connections close',
    examples: [['Remove a node', 'palyrad nodes remove 01J9Z3B4C5D6E7F8G9H0JKMNPQ']],
  });

  deviceId = Option.String({ name: 'deviceId' });
  json = Option.Boolean('--json', false, { description: 'Print the removed node as JSON' });

  async execute(): Promise<number> {
    const removed = await this.withClient((client) => client.removeNode(this.deviceId));
    if (this.json) {
      this.printJson({ deviceId: removed.deviceId, name: removed.name, revokedFingerprint: removed.certFingerprint });
    } else {
      this.print(`removed ${displayText(removed.name)} (device ${removed.deviceId}); certificate ${removed.certFingerprint} revoked`);
    }
    return 0;
  }
}
