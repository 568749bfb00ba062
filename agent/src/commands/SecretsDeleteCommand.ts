import { Command, Option } from 'clipanion';
import { PalyraError } from '@palyra/shared/errors';
import { SecretsCommand } from './SecretsCommand.js';

export class SecretsDeleteCommand extends SecretsCommand {
  static override paths = [['secrets', 'delete']];
  static override usage = Command.Usage({
    category: 'Secrets',
    description: 'Delete a secret',
    examples: [['Forget a token', 'palyra-node secrets delete plugin:browser api-token']],
  });

  scope = Option.String({ name: 'scope' });
  key = Option.String({ name: 'key' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    const deleted = await (await this.secretStore()).delete(this.scope, this.key);
    if (!deleted) {
      throw new PalyraError('PALYRA_E_VAULT_SECRET_NOT_FOUND', `no secret ${this.key} in scope ${this.scope}: see palyra-node secrets list`);
    }
    if (this.json) this.printJson({ deleted: true, scope: this.scope, key: this.key });
    else this.print(`deleted ${this.scope} ${this.key}`);
    return 0;
  }
}
