import { Command, Option } from 'clipanion';
import { SecretsCommand } from './SecretsCommand.js';

export class SecretsListCommand extends SecretsCommand {
  static override paths = [['secrets', 'list']];
  static override usage = Command.Usage({
    category: 'Secrets',
    description: 'List the stored secrets (metadata only, never values)',
    examples: [
      ['Every secret', 'palyra-node secrets list'],
      ['One plugin’s, as JSON', 'palyra-node secrets list plugin:browser --json'],
    ],
  });

  scope = Option.String({ name: 'scope', required: false });
  json = Option.Boolean('--json', false, { description: 'Print one JSON array of {scope, key, created, updated, version}' });

  async execute(): Promise<number> {
    const list = await (await this.secretStore()).list(this.scope);
    if (this.json) {
      this.printJson(list);
      return 0;
    }
    if (list.length === 0) this.print(this.scope === undefined ? 'no secrets' : `no secrets in scope ${this.scope}`);
    for (const info of list) this.print(`${info.scope}  ${info.key}  version ${info.version}  updated ${info.updated}`);
    return 0;
  }
}
