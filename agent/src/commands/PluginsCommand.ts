import { Command, Option } from 'clipanion';
import { AgentCommand } from './AgentCommand.js';
import { loadPluginsForListing } from './loadPluginsForListing.js';

export class PluginsCommand extends AgentCommand {
  static override paths = [['plugins']];
  static override usage = Command.Usage({
    description: 'List the plugins this node loads and their capabilities',
    details: 'Loads the plugins from the config exactly as `run` does, so a bad config or plugin shows up here first.',
    examples: [['As JSON', 'palyra-node plugins --json'], ['With a config file', 'palyra-node plugins --config ./palyra-node.config.json']],
  });

  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    const listing = await loadPluginsForListing(this.config);
    if (this.json) {
      this.printJson({
        configFile: listing.configFile,
        plugins: listing.plugins,
        capabilities: listing.capabilities.map(({ id, kind, plugin, description }) => ({ id, kind, plugin, description })),
      });
      return 0;
    }
    this.print(`config ${listing.configFile ?? '(none found: built-in plugins with no grants)'}`);
    for (const plugin of listing.plugins) {
      this.print(`${plugin.name} ${plugin.version} (${plugin.source})`);
      for (const capability of listing.capabilities.filter((c) => c.plugin === plugin.name)) {
        this.print(`  ${capability.id.padEnd(20)} ${capability.kind.padEnd(6)} ${capability.description}`);
      }
    }
    return 0;
  }
}
