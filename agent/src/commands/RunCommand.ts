import { Command } from 'clipanion';
import { formatErrorLine } from '@palyra/shared';
import { NodeAgent } from '../NodeAgent.js';
import { AgentCommand } from './AgentCommand.js';

export class RunCommand extends AgentCommand {
  static override paths = [['run']];
  static override usage = Command.Usage({
    description: 'Connect to the daemon with mTLS and serve it until stopped',
    details: 'Prints `palyra-node ready device=<ID>` once registered; reconnects with backoff when the connection drops. SIGINT/SIGTERM stop it.',
    examples: [['Run the agent', 'palyra-node run']],
  });

  async execute(): Promise<number> {
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const agent = await NodeAgent.create({
        store: this.identityStore(),
        configPath: this.config,
        signal: controller.signal,
        onReady: ({ deviceId }) => this.print(`palyra-node ready device=${deviceId}`),
        onDisconnected: ({ error, retryInMs }) => {
          this.context.stderr.write(`${formatErrorLine(error)} (retrying in ${(retryInMs / 1000).toFixed(1)}s)\n`);
        },
      });
      await agent.run();
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
