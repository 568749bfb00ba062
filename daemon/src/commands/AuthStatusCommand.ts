import { Command, Option } from 'clipanion';
import { describeTarget } from './controlTarget.js';
import { DaemonCommand } from './DaemonCommand.js';

export class AuthStatusCommand extends DaemonCommand {
  static override paths = [['auth', 'status']];
  static override usage = Command.Usage({
    description: 'Show who the daemon takes you for: token, role, permissions, expiry',
    details: `
      Asks the daemon (WhoAmI). Through a profile (--profile, PALYRA_PROFILE) or --daemon:
      the token's id and name, role, permissions, scopes, node selector and expiry. Locally
      (the admin socket): the local owner, who may do everything.
    `,
    examples: [
      ['The token of a profile', 'palyrad auth status --profile prod'],
      ['As JSON', 'palyrad auth status --profile prod --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    const target = this.controlTarget();
    const who = await this.withClient((client) => client.whoAmI());
    const document = {
      kind: who.kind,
      ...(target.kind === 'profile' ? { profile: target.name } : {}),
      daemon: describeTarget(target),
      ...(who.kind === 'local' ? { uid: who.uid } : { tokenId: who.tokenId, tokenName: who.tokenName }),
      role: who.role,
      permissions: who.permissions,
      scopes: who.scopes,
      nodes: who.nodes,
      expiresAt: who.expiresAt || null,
      remoteAddress: who.remoteAddress,
    };
    if (this.json) {
      this.printJson(document);
      return 0;
    }
    this.print(who.kind === 'local' ? `local owner (uid ${who.uid}) of the daemon at ${document.daemon}` : `token ${who.tokenName || who.tokenId} (${who.tokenId}) at ${document.daemon}`);
    this.print(`  role         ${who.role}`);
    this.print(`  permissions  ${who.permissions.join(', ') || '(none)'}`);
    if (who.scopes.length > 0) this.print(`  scopes       ${who.scopes.join(', ')}`);
    if (who.nodes !== '') this.print(`  nodes        ${who.nodes}`);
    this.print(`  expires      ${who.expiresAt || 'never'}`);
    return 0;
  }
}
