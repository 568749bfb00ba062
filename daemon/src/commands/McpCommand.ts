import { Command } from 'clipanion';
import { DaemonCommand } from './DaemonCommand.js';

export class McpCommand extends DaemonCommand {
  static override paths = [['mcp']];
  static override usage = Command.Usage({
    description: 'Serve the nodes’ capabilities as MCP tools over stdio',
    details: `
      A Model Context Protocol server on stdin/stdout for a local AI agent or IDE: one tool
      per capability the nodes announce (those this caller may see), called on one node
      (\`node\`) or on every node a selector matches (\`selector\`). It reaches the daemon as
      every command does: its admin socket (\`--state-dir\`), a profile (\`--profile\`), or
      \`--daemon\` with the token in PALYRA_TOKEN; the daemon checks every call against that
      identity's permissions (\`compat.tools.list\`, \`compat.tools.call\`) and scopes, and
      audits it. stdout carries nothing but the protocol; logs go to stderr. It stops when
      stdin closes. See docs/tools.md.
    `,
    examples: [
      ['For the local daemon', 'palyrad mcp'],
      ['Through a saved profile', 'palyrad mcp --profile prod'],
    ],
  });

  async execute(): Promise<number> {
    const { runMcpStdio } = await import('../tools/mcp/runMcpStdio.js');
    const client = await this.openClient();
    try {
      await runMcpStdio(client, { stdin: process.stdin, stdout: process.stdout, stderr: this.context.stderr });
      return 0;
    } finally {
      client.close();
    }
  }
}
