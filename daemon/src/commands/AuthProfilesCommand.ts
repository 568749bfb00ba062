import { Command, Option } from 'clipanion';
import { PalyraCommand } from '@palyra/shared/cli';

export class AuthProfilesCommand extends PalyraCommand {
  static override paths = [['auth', 'profiles']];
  static override usage = Command.Usage({
    description: 'List the saved operator profiles',
    details: 'Reads $XDG_CONFIG_HOME/palyra/profiles.json (default ~/.config/palyra); no daemon is contacted and no token is read.',
    examples: [['As JSON', 'palyrad auth profiles --json']],
  });

  json = Option.Boolean('--json', false, { description: 'Print a JSON array' });

  async execute(): Promise<number> {
    const [{ operatorConfigDir }, { ProfileStore }] = await Promise.all([import('../profiles/operatorConfigDir.js'), import('../profiles/ProfileStore.js')]);
    const store = new ProfileStore(operatorConfigDir());
    const rows = [...(await store.list())].map(([name, p]) => ({
      name,
      daemon: p.daemon,
      caFingerprint: p.caFingerprint,
      tokenId: p.tokenId,
      role: p.role,
      tokenStore: p.tokenStore,
      createdAt: p.createdAt,
    }));
    if (this.json) {
      this.printJson(rows);
      return 0;
    }
    if (rows.length === 0) {
      this.print(`no profiles in ${store.file}: palyrad auth login saves one`);
      return 0;
    }
    for (const row of rows) this.print(`${row.name}  ${row.daemon}  role ${row.role}  token ${row.tokenId}  (${row.tokenStore === 'os' ? 'OS vault' : 'vault file'})`);
    return 0;
  }
}
