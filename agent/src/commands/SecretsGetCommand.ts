import { Command, Option } from 'clipanion';
import { PalyraError } from '@palyra/shared/errors';
import { SecretsCommand } from './SecretsCommand.js';

export class SecretsGetCommand extends SecretsCommand {
  static override paths = [['secrets', 'get']];
  static override usage = Command.Usage({
    category: 'Secrets',
    description: 'Print a secret',
    details: 'Prints the value exactly as stored (a newline follows only on a terminal); with `--json`, the value and its metadata.',
    examples: [['Into a variable', 'TOKEN=$(palyra-node secrets get plugin:browser api-token)']],
  });

  scope = Option.String({ name: 'scope' });
  key = Option.String({ name: 'key' });
  json = Option.Boolean('--json', false, { description: 'Print value and metadata as one JSON object' });

  async execute(): Promise<number> {
    const secret = await (await this.secretStore()).get(this.scope, this.key);
    if (secret === undefined) {
      throw new PalyraError('PALYRA_E_VAULT_SECRET_NOT_FOUND', `no secret ${this.key} in scope ${this.scope}: see palyra-node secrets list`);
    }
    if (this.json) this.printJson(secret);
    else this.context.stdout.write(secret.value + ((this.context.stdout as NodeJS.WriteStream).isTTY === true ? '\n' : ''));
    return 0;
  }
}
