import { Option } from 'clipanion';
import { PalyraCommand } from '@palyra/shared/cli';
import { resolveStateDir } from '@palyra/shared/config';
import type { VaultIdentityStore } from '../identity/index.js';

/** Base of the agent's commands: where the node keeps its identity and secrets. */
export abstract class AgentCommand extends PalyraCommand {
  stateDir = Option.String('--state-dir', { description: 'Node state directory (default: PALYRA_STATE_DIR, then the XDG state dir)' });

  config = Option.String('--config', { description: 'Config file (default: PALYRA_NODE_CONFIG, else a palyra-node config found from the working directory up)' });

  vault = Option.String('--vault', {
    description:
      'Where the identity and secrets are kept (env PALYRA_VAULT): auto (default: the OS vault when it answers, else an encrypted file with ' +
      'PALYRA_VAULT_PASSPHRASE or a prompt), os, or file (an encrypted file: passphrase, else a 0600 key file in the state dir)',
  });

  vaultKeyFile = Option.String('--vault-key-file', { description: 'A 0600 file holding the vault key (64 hex characters; created when missing; env PALYRA_VAULT_KEY_FILE)' });

  private store: VaultIdentityStore | undefined;

  protected get resolvedStateDir(): string {
    return resolveStateDir('palyra-node', this.stateDir);
  }

  /** The node's identity store (one per command run: the vault is opened once). */
  protected async identityStore(): Promise<VaultIdentityStore> {
    // Loaded on use: every command class is imported to parse the command line, so what they
    // import at the top is paid by all of them (`plugins` and `--help` need no vault).
    const [{ VaultIdentityStore }, { resolveVaultSettings }] = await Promise.all([
      import('../identity/index.js'),
      import('@palyra/shared/vault'),
    ]);
    this.store ??= new VaultIdentityStore({
      stateDir: this.resolvedStateDir,
      ...resolveVaultSettings({ vault: this.vault, vaultKeyFile: this.vaultKeyFile }),
      onNotice: (line) => this.context.stderr.write(`palyra-node: ${line}\n`),
    });
    return this.store;
  }
}
