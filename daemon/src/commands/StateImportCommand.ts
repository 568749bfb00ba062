import path from 'node:path';
import { Command, Option } from 'clipanion';
import { PalyraError } from '@palyra/shared/errors';
import { StateStoreCommand } from './StateStoreCommand.js';

export class StateImportCommand extends StateStoreCommand {
  static override paths = [['state', 'import']];
  static override usage = Command.Usage({
    description: 'Load a node-runtime.v1.json document into an empty state store',
    details: `
      Validates the document as the daemon validates its state (a corrupt, newer or
      group/other-readable file is refused) and writes it into the store in one transaction.
      The store must be empty (\`PALYRA_E_STATE_NOT_EMPTY\` otherwise: nothing is merged) and no
      daemon may run on the state dir (\`PALYRA_E_DAEMON_RUNNING\`). The state dir is created
      when missing; the CA is not part of the document.
    `,
    examples: [['Into a new state dir', 'palyrad state import registry.json --state-dir /var/lib/palyra-new']],
  });

  file = Option.String({ name: 'FILE' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object: {file, store, pairingCodes, requests, nodes, revoked}' });

  async execute(): Promise<number> {
    const [{ StateDirectory }, { StateDirLock }, registry, { openStore }, seed] = await Promise.all([
      import('@palyra/shared/fs'),
      import('../state/StateDirLock.js'),
      import('../registry/runtimeStateFile.js'),
      import('../store/index.js'),
      import('../store/seed/index.js'),
    ]);
    const file = path.resolve(this.file);
    const bytes = await registry.readRuntimeStateFile(file);
    if (bytes === undefined) throw new PalyraError('PALYRA_E_STATE_IO', `cannot import ${file}: there is no such file`, { details: { file } });
    const state = registry.parseRuntimeState(bytes, file);

    const dir = await StateDirectory.open(this.resolvedStateDir);
    // The daemon's own lock: no daemon may start on the store while it is being filled.
    const lock = new StateDirLock(dir.path);
    await lock.acquire();
    try {
      const store = await openStore({ stateDir: dir.path, store: await this.storeSetting() });
      try {
        const counts = await seed.importRuntimeState(store, state, { sha256: seed.sha256Hex(bytes), source: file });
        if (this.json) this.printJson({ file, store: store.location, ...counts });
        else this.print(`imported ${counts.nodes} nodes, ${counts.requests} pairing requests, ${counts.pairingCodes} pairing codes and ${counts.revoked} revoked certificates from ${file} into ${store.location}`);
      } finally {
        await store.close();
      }
    } finally {
      await lock.release();
    }
    return 0;
  }
}
