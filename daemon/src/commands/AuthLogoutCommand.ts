import { Command, Option } from 'clipanion';
import { PalyraCommand } from '@palyra/shared/cli';
import { PalyraError } from '@palyra/shared/errors';
import { PROFILE_ENV } from './controlTarget.js';

export class AuthLogoutCommand extends PalyraCommand {
  static override paths = [['auth', 'logout']];
  static override usage = Command.Usage({
    description: 'Remove an operator profile and its token from the vault',
    details: `
      Deletes the token from the OS vault (or the encrypted vault file), then the profile.
      The token itself stays valid on the daemon until it expires or is revoked there
      (palyrad tokens revoke <id>).
    `,
    examples: [['Forget a profile', 'palyrad auth logout --profile prod']],
  });

  profile = Option.String('--profile', { description: `The profile to remove (env ${PROFILE_ENV})` });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    const name = this.profile ?? process.env[PROFILE_ENV];
    if (name === undefined || name === '') throw new PalyraError('PALYRA_E_USAGE', `which profile? --profile NAME (or ${PROFILE_ENV}); palyrad auth profiles lists them`);
    const [{ checkProfileName }, { resolveVaultSettings }, { operatorConfigDir }, { OperatorTokenVault }, { ProfileStore, notFound }] = await Promise.all([
      import('../profiles/profileNames.js'),
      import('@palyra/shared/vault'),
      import('../profiles/operatorConfigDir.js'),
      import('../profiles/OperatorTokenVault.js'),
      import('../profiles/ProfileStore.js'),
    ]);
    checkProfileName(name, this.profile === undefined ? PROFILE_ENV : '--profile');
    const configDir = operatorConfigDir();
    const store = new ProfileStore(configDir);
    const profile = (await store.list()).get(name);
    if (profile === undefined) throw notFound(name, store.file);
    // The token first: should the vault fail (a locked keyring), the profile stays to retry with.
    const tokenRemoved = await new OperatorTokenVault({ configDir, ...resolveVaultSettings({}) }).remove(name, profile.tokenStore);
    await store.remove(name);
    if (this.json) {
      this.printJson({ profile: name, removed: true, tokenRemoved, tokenId: profile.tokenId, daemon: profile.daemon });
      return 0;
    }
    this.print(`profile ${name} removed${tokenRemoved ? ', and its token from the vault' : ' (its token was no longer in the vault)'}`);
    this.print(`the token ${profile.tokenId} stays valid on ${profile.daemon} until it expires or is revoked: palyrad tokens revoke ${profile.tokenId}`);
    return 0;
  }
}
