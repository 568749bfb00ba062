import { Option } from 'clipanion';
import { PalyraCommand, resolveStateDir } from '@palyra/shared';
import { FileIdentityStore, type IdentityStore } from '../identity/index.js';

/** Base of the agent's commands: where the node keeps its identity. */
export abstract class AgentCommand extends PalyraCommand {
  stateDir = Option.String('--state-dir', { description: 'Node state directory (default: PALYRA_STATE_DIR, then the XDG state dir)' });

  config = Option.String('--config', { description: 'Config file (default: PALYRA_NODE_CONFIG, else a palyra-node config found from the working directory up)' });

  protected get resolvedStateDir(): string {
    return resolveStateDir('palyra-node', this.stateDir);
  }

  protected identityStore(): IdentityStore {
    return new FileIdentityStore(this.resolvedStateDir);
  }
}
