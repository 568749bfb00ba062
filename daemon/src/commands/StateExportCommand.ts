import path from 'node:path';
import { Command, Option } from 'clipanion';
import { StateStoreCommand } from './StateStoreCommand.js';

export class StateExportCommand extends StateStoreCommand {
  static override paths = [['state', 'export']];
  static override usage = Command.Usage({
    description: 'Write the registry as a node-runtime.v1.json document',
    details: `
      Reads the state store in one transaction (also while the daemon runs) and writes the
      versioned \`node-runtime.v1.json\` document of the first releases: pairing codes, requests,
      nodes and revoked certificates (not the dispatch journal). To stdout, or with \`--out\`
      to a file written atomically with mode 0600. \`palyrad state import\` loads it back.
    `,
    examples: [
      ['To stdout', 'palyrad state export'],
      ['To a file', 'palyrad state export --out registry.json'],
    ],
  });

  out = Option.String('--out', { description: 'Write the document to this file (atomically, mode 0600) instead of stdout' });

  async execute(): Promise<number> {
    // Loaded on use: every command class is imported to parse any command line.
    const [{ openExistingStore }, { exportRuntimeState, serializeRuntimeState }, { writeFileAtomic }, { assertNotStoreFile }] = await Promise.all([
      import('./stateStore.js'),
      import('../store/seed/index.js'),
      import('@palyra/shared/fs'),
      import('../store/storeFiles.js'),
    ]);
    const store = await openExistingStore(this.resolvedStateDir, await this.storeSetting());
    let text: string;
    let nodes: number;
    try {
      if (this.out !== undefined) await assertNotStoreFile(this.out, store);
      const state = await exportRuntimeState(store);
      text = serializeRuntimeState(state);
      nodes = state.nodes.length;
    } finally {
      await store.close();
    }
    if (this.out === undefined) {
      this.context.stdout.write(text);
      return 0;
    }
    const file = path.resolve(this.out);
    await writeFileAtomic(file, text, { mode: 0o600 });
    this.print(`exported ${nodes} node${nodes === 1 ? '' : 's'} to ${file}`);
    return 0;
  }
}
