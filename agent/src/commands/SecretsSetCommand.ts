import { Command, Option } from 'clipanion';
import { SecretsCommand } from './SecretsCommand.js';

export class SecretsSetCommand extends SecretsCommand {
  static override paths = [['secrets', 'set']];
  static override usage = Command.Usage({
    category: 'Secrets',
    description: 'Store a secret from stdin',
    details: `
      Reads the value from stdin (one trailing newline is dropped), or at a hidden prompt in a
      terminal; never from the command line. The secret is encrypted in the node's vault under
      its scope: \`node\` for the node itself, \`plugin:<name>\` for a plugin (which reads it
      as \`ctx.secrets.get(key)\`).
    `,
    examples: [
      ['A token for the browser plugin', 'printf %s "$TOKEN" | palyra-node secrets set plugin:browser api-token'],
      ['Typed at a prompt', 'palyra-node secrets set node proxy-password'],
    ],
  });

  scope = Option.String({ name: 'scope' });
  key = Option.String({ name: 'key' });
  json = Option.Boolean('--json', false, { description: 'Print the metadata as one JSON object' });

  async execute(): Promise<number> {
    const secrets = await this.secretStore();
    const value = await this.readValue(`${this.scope}/${this.key}`);
    const info = await secrets.set(this.scope, this.key, value);
    if (this.json) this.printJson(info);
    else this.print(`stored ${info.scope} ${info.key} (version ${info.version})`);
    return 0;
  }
}
