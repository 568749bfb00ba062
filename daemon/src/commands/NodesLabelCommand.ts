import { Command, Option } from 'clipanion';
import { parseLabelArguments } from '@palyra/shared/labels';
import { displayText } from '@palyra/shared/text';
import { DaemonCommand } from './DaemonCommand.js';
import { nodeRow } from './nodeOutput.js';

export class NodesLabelCommand extends DaemonCommand {
  static override paths = [['nodes', 'label']];
  static override usage = Command.Usage({
    description: "Set (k=v) or remove (k-) a node's operator labels; they win over the node's own and survive its re-registration",
    examples: [
      ['Set two labels', 'palyrad nodes label web-1 env=prod role=web'],
      ['Remove one', 'palyrad nodes label 01J9Z3B4 canary-'],
    ],
  });

  node = Option.String({ name: 'node' });
  changes = Option.Rest({ required: 1, name: 'k=v|k-' });
  json = Option.Boolean('--json', false, { description: 'Print the node as JSON (as nodes list --json)' });

  async execute(): Promise<number> {
    // Checked here too, so a typo fails before the daemon is asked (the daemon checks again).
    const change = parseLabelArguments(this.changes);
    const node = await this.withClient((client) => client.labelNode(this.node, change));
    if (this.json) {
      this.printJson(nodeRow(node));
      return 0;
    }
    const labels = Object.entries(node.labels)
      .map(([key, value]) => `${key}=${value}${Object.prototype.hasOwnProperty.call(node.operatorLabels, key) ? '' : ' (node)'}`)
      .join(', ');
    this.print(`${displayText(node.name)} (${node.deviceId}): ${labels === '' ? 'no labels' : displayText(labels)}`);
    return 0;
  }
}
