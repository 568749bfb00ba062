import { Command, Option } from 'clipanion';
import { AgentCommand } from './AgentCommand.js';
import { loadPluginsForListing } from './loadPluginsForListing.js';

export class StatusCommand extends AgentCommand {
  static override paths = [['status']];
  static override usage = Command.Usage({
    description: 'Show this node’s identity, daemon, certificate expiry and where the identity is kept',
    examples: [['As JSON', 'palyra-node status --json']],
  });

  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    const store = this.identityStore();
    const identity = await store.load();
    const plugins = (await loadPluginsForListing(this.config)).plugins.map((p) => ({ name: p.name, version: p.version, capabilities: p.capabilities }));
    const document =
      identity === undefined
        ? { joined: false, stateDir: this.resolvedStateDir, vault: store.backend, plugins }
        : {
            joined: true,
            deviceId: identity.deviceId,
            name: identity.name,
            daemon: identity.daemonAddress,
            caFingerprint: identity.caFingerprint,
            certExpiresAt: identity.certExpiresAt,
            joinedAt: identity.joinedAt,
            stateDir: this.resolvedStateDir,
            vault: store.backend,
            plugins,
          };
    if (this.json) {
      this.printJson(document);
      return 0;
    }
    if (!document.joined || identity === undefined) {
      this.print(`not joined (state dir ${this.resolvedStateDir}): run palyra-node join --pin <PIN> --daemon HOST:PORT`);
      return 0;
    }
    this.print(`device  ${identity.deviceId} (${identity.name})`);
    this.print(`daemon  ${identity.daemonAddress}  ca ${identity.caFingerprint}`);
    this.print(`cert    valid until ${identity.certExpiresAt}`);
    this.print(`vault   ${store.backend}`);
    this.print(`plugins ${plugins.length === 0 ? 'none loaded' : plugins.map((p) => `${p.name} (${p.capabilities.length} capabilities)`).join(', ')}`);
    return 0;
  }
}
