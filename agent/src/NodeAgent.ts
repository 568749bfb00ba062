import { PalyraError } from '@palyra/shared';
import { NodeConnection, type NodeConnectionEvents } from './connection/NodeConnection.js';
import type { IdentityStore, NodeIdentity } from './identity/index.js';

export interface NodeAgentOptions extends NodeConnectionEvents {
  store: IdentityStore;
  signal?: AbortSignal;
}

/**
 * The agent's composition root: loads the identity, then keeps the connection to the daemon.
 * `run()` resolves when stopped and rejects when the daemon refuses this node for good.
 */
export class NodeAgent {
  private readonly controller = new AbortController();

  private constructor(
    readonly identity: NodeIdentity,
    private readonly connection: NodeConnection,
  ) {}

  static async create(options: NodeAgentOptions): Promise<NodeAgent> {
    const identity = await options.store.load({ signal: options.signal });
    if (identity === undefined) {
      throw new PalyraError('PALYRA_E_NOT_JOINED', 'this node has no identity: run palyra-node join --pin <PIN> --daemon HOST:PORT first');
    }
    const agent = new NodeAgent(identity, new NodeConnection(identity, options));
    options.signal?.addEventListener('abort', () => agent.controller.abort(), { once: true });
    return agent;
  }

  run(): Promise<void> {
    return this.connection.run({ signal: this.controller.signal });
  }

  stop(): void {
    this.controller.abort();
  }
}
