import { Command, Option } from 'clipanion';
import { DaemonCommand } from './DaemonCommand.js';
import { tokenJson } from './tokenOutput.js';

export class TokensRevokeCommand extends DaemonCommand {
  static override paths = [['tokens', 'revoke']];
  static override usage = Command.Usage({
    description: 'Revoke an API token at once; its open streams end',
    examples: [['Revoke a token', 'palyrad tokens revoke 01J9Z3B4C5D6E7F8G9H0JKMNPQ']],
  });

  id = Option.String({ name: 'id' });
  json = Option.Boolean('--json', false, { description: 'Print the revoked token as JSON' });

  async execute(): Promise<number> {
    const revoked = await this.withClient((client) => client.revokeToken(this.id));
    if (this.json) this.printJson(tokenJson(revoked));
    else this.print(`revoked token ${revoked.id} (${revoked.name}) at ${revoked.revokedAt}`);
    return 0;
  }
}
