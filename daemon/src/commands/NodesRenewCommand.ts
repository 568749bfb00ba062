import { Command, Option } from 'clipanion';
import { PalyraError } from '@palyra/shared/errors';
import { displayText } from '@palyra/shared/text';
import { DaemonCommand } from './DaemonCommand.js';

export class NodesRenewCommand extends DaemonCommand {
  static override paths = [['nodes', 'renew']];
  static override usage = Command.Usage({
    description: 'Ask online nodes to renew their certificate now',
    details: `
      Sends each online node a renewal request over its live session; it renews at once
      instead of at two thirds of its certificate's lifetime. Offline nodes are listed: they
      renew by themselves when they come back and their certificate is due. Name one node by
      device id, or pass --all. With \`--json\`: \`{asked: [{deviceId, name}], offline: [...]}\`.
    `,
    examples: [
      ['One node', 'palyrad nodes renew 01J9Z3B4C5D6E7F8G9H0JKMNPQ'],
      ['Every online node, as JSON', 'palyrad nodes renew --all --json'],
    ],
  });

  deviceId = Option.String({ name: 'deviceId', required: false });
  all = Option.Boolean('--all', false, { description: 'Every registered node (those online are asked)' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    if ((this.deviceId === undefined) === !this.all) {
      throw new PalyraError('PALYRA_E_USAGE', 'give a device id or --all (not both): palyrad nodes renew <deviceId> | palyrad nodes renew --all');
    }
    const target = this.deviceId === undefined ? { all: true as const } : { deviceId: this.deviceId };
    const result = await this.withClient((client) => client.renewNodes(target));
    const asked = result.asked.map(({ deviceId, name }) => ({ deviceId, name }));
    const offline = result.offline.map(({ deviceId, name }) => ({ deviceId, name }));
    if (this.json) {
      this.printJson({ asked, offline });
      return 0;
    }
    for (const node of asked) this.print(`asked ${displayText(node.name)} (${node.deviceId}) to renew its certificate`);
    for (const node of offline) this.print(`offline ${displayText(node.name)} (${node.deviceId}): renews by itself once back`);
    if (asked.length + offline.length === 0) this.print('no nodes registered');
    return 0;
  }
}
