import { Command, Option } from 'clipanion';
import { DaemonCommand } from './DaemonCommand.js';
import { tokenJson, tokenLine } from './tokenOutput.js';

export class TokensListCommand extends DaemonCommand {
  static override paths = [['tokens', 'list']];
  static override usage = Command.Usage({
    description: 'List API tokens (never their secrets)',
    examples: [
      ['Valid tokens', 'palyrad tokens list'],
      ['Revoked ones too, as JSON', 'palyrad tokens list --all --json'],
    ],
  });

  all = Option.Boolean('--all', false, { description: 'Include revoked tokens' });
  json = Option.Boolean('--json', false, { description: 'Print a JSON array' });

  async execute(): Promise<number> {
    const tokens = await this.withClient((client) => client.listTokens(this.all));
    if (this.json) {
      this.printJson(tokens.map(tokenJson));
      return 0;
    }
    if (tokens.length === 0) this.print(this.all ? 'no API tokens' : 'no valid API tokens (--all shows revoked ones)');
    for (const token of tokens) this.print(tokenLine(token));
    return 0;
  }
}
