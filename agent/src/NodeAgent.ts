import { PalyraError } from '@palyra/shared';
import { loadAgentConfig } from './config/index.js';
import { NodeConnection, type NodeConnectionEvents } from './connection/NodeConnection.js';
import type { IdentityStore, NodeIdentity } from './identity/index.js';
import { PluginHost, stderrLogger } from './plugins/index.js';

export interface NodeAgentOptions extends NodeConnectionEvents {
  store: IdentityStore;
  /** Explicit config file (else PALYRA_NODE_CONFIG, else cosmiconfig's search). */
  configPath?: string;
  signal?: AbortSignal;
}

/**
 * The agent's composition root: identity, then config and plugins, then the connection to
 * the daemon. `run()` resolves when stopped and rejects when the daemon refuses this node
 * for good; either way the plugins are disposed.
 */
export class NodeAgent {
  private readonly controller = new AbortController();

  private constructor(
    readonly identity: NodeIdentity,
    readonly plugins: PluginHost,
    private readonly connection: NodeConnection,
  ) {}

  static async create(options: NodeAgentOptions): Promise<NodeAgent> {
    const identity = await options.store.load({ signal: options.signal });
    if (identity === undefined) {
      throw new PalyraError('PALYRA_E_NOT_JOINED', 'this node has no identity: run palyra-node join --pin <PIN> --daemon HOST:PORT first');
    }
    const { config, baseDir } = await loadAgentConfig({ explicitPath: options.configPath });
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const plugins = await PluginHost.load({ config, baseDir, signal: controller.signal, logger: stderrLogger });
    const agent = new NodeAgent(identity, plugins, new NodeConnection(identity, plugins, options));
    options.signal?.removeEventListener('abort', onAbort);
    options.signal?.addEventListener('abort', () => agent.stop(), { once: true });
    return agent;
  }

  async run(): Promise<void> {
    try {
      await this.connection.run({ signal: this.controller.signal });
    } finally {
      await this.plugins.dispose();
    }
  }

  stop(): void {
    this.controller.abort();
  }
}
