import { Command, Option } from 'clipanion';
import { PalyraError } from '@palyra/shared/errors';
import type { InvocationResult } from '../client/invocation.js';
import { DaemonCommand } from './DaemonCommand.js';
import { printLiveEvent, reportInvocationResult } from './invocationOutput.js';

export class DispatchesWatchCommand extends DaemonCommand {
  static override paths = [['dispatches', 'watch']];
  static override usage = Command.Usage({
    description: 'Re-attach to a dispatch: stream its output until it ends, or print its recorded result',
    details: `
      For a client that lost its connection (or another process): a running dispatch streams
      its output to stdout as \`palyrad nodes invoke\` does, then its result; a finished one
      prints its recorded result at once. Ctrl-C stops watching and leaves the dispatch
      running. Exits as \`nodes invoke\` does: 0 only when the status is succeeded.
    `,
    examples: [['Wait for a dispatch by id', 'palyrad dispatches watch 01J9Z3B4C5D6E7F8G9H0JKMNPQ --json']],
  });

  dispatchId = Option.String({ name: 'dispatchId' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object with the result' });

  async execute(): Promise<number> {
    return this.withClient(async (client) => {
      const controller = new AbortController();
      const onSigint = (): void => controller.abort();
      process.on('SIGINT', onSigint);
      try {
        let result: InvocationResult | undefined;
        for await (const event of client.watchDispatch(this.dispatchId, { signal: controller.signal })) {
          if (event.type === 'result') result = event.result;
          else printLiveEvent(event, this.invocationPrinter(this.json));
        }
        if (result === undefined) {
          if (controller.signal.aborted) throw new PalyraError('PALYRA_E_CANCELLED', `stopped watching dispatch ${this.dispatchId}; it goes on`);
          throw new PalyraError('PALYRA_E_INTERNAL', 'the daemon ended the watch without a result');
        }
        return reportInvocationResult(result, this.invocationPrinter(this.json));
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
  }
}
