import { Command, Option } from 'clipanion';
import { PalyraError } from '@palyra/shared/errors';
import { displayText } from '@palyra/shared/text';
import { DaemonCommand } from './DaemonCommand.js';

export class ToolsListCommand extends DaemonCommand {
  static override paths = [['tools', 'list']];
  static override usage = Command.Usage({
    description: 'List the tools AI agents see (palyrad mcp, the HTTP endpoints)',
    details: `
      One tool per capability the nodes this caller may see announce, online or not: its
      tool name (stable, derived from the capability id alone), the capability, its kind,
      the plugins announcing it and the nodes (online first). Needs the permission
      \`compat.tools.list\`. See docs/tools.md.
    `,
    examples: [
      ['The mapping', 'palyrad tools list'],
      ['With schemas and descriptions, as JSON', 'palyrad tools list --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'Print one JSON array' });

  async execute(): Promise<number> {
    const [{ buildToolCatalog }, { listedTools, toolsAccess }] = await Promise.all([import('../tools/buildToolCatalog.js'), import('../tools/toolsAccess.js')]);
    const tools = await this.withClient(async (client) => {
      const access = await toolsAccess(client);
      if (!access.canList) {
        throw new PalyraError('PALYRA_E_FORBIDDEN', 'this token may not list tools: its role lacks compat.tools.list (viewer and up)', { details: { permission: 'compat.tools.list' } });
      }
      return listedTools(buildToolCatalog(await client.listNodes()), access);
    });
    if (this.json) {
      this.printJson(
        tools.map((t) => ({
          name: t.name,
          capability: t.capability,
          kind: t.kind,
          plugins: t.plugins,
          nodes: t.nodes,
          description: t.description,
          annotations: t.annotations,
          inputSchema: t.inputSchema,
        })),
      );
      return 0;
    }
    if (tools.length === 0) {
      this.print('no tools: no node this caller may see announces a capability');
      return 0;
    }
    const width = Math.max(...tools.map((t) => t.name.length));
    for (const t of tools) {
      const online = t.nodes.filter((n) => n.online).length;
      const shown = t.nodes.slice(0, 3).map((n) => displayText(n.name)).join(', ');
      const more = t.nodes.length > 3 ? `, … ${t.nodes.length - 3} more` : '';
      this.print(`${t.name.padEnd(width)}  ${t.capability}  ${t.kind}  ${displayText(t.plugins.join(','))}  ${t.nodes.length} node${t.nodes.length === 1 ? '' : 's'} (${online} online): ${shown}${more}`);
    }
    return 0;
  }
}
