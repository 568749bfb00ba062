import { Command, Option } from 'clipanion';
import { StateStoreCommand } from './StateStoreCommand.js';

export class StateBackupCommand extends StateStoreCommand {
  static override paths = [['state', 'backup']];
  static override usage = Command.Usage({
    description: 'Copy the state store to a file, consistently, also while the daemon runs',
    details: `
      Takes an online copy of the SQLite store (SQLite's backup API: one consistent moment,
      while the daemon goes on writing), checks it by opening it (integrity check, schema
      version) and renames it into place with mode 0600. To restore, stop the daemon and put the
      copy in the state dir as \`palyrad.db\` (removing any \`palyrad.db-wal\` and \`-shm\`). On
      PostgreSQL use pg_dump.
    `,
    examples: [['Into a dated file', 'palyrad state backup /var/backups/palyrad-$(date +%F).db']],
  });

  file = Option.String({ name: 'FILE' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object: {file, store, schemaVersion}' });

  async execute(): Promise<number> {
    const [{ openExistingStore }, { backupStore }] = await Promise.all([import('./stateStore.js'), import('../store/backupStore.js')]);
    const store = await openExistingStore(this.resolvedStateDir, await this.storeSetting());
    try {
      const { file, schemaVersion } = await backupStore(store, this.file);
      if (this.json) this.printJson({ file, store: store.location, schemaVersion });
      else this.print(`backed up ${store.location} to ${file} (schema version ${schemaVersion}, checked)`);
    } finally {
      await store.close();
    }
    return 0;
  }
}
