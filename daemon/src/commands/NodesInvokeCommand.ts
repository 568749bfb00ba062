import { Command, Option } from 'clipanion';
import { parseDuration } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import type { InvocationResult } from '../client/invocation.js';
import { printLiveEvent, reportInvocationResult } from './invocationOutput.js';
import { DaemonCommand } from './DaemonCommand.js';

export class NodesInvokeCommand extends DaemonCommand {
  static override paths = [['nodes', 'invoke']];
  static override usage = Command.Usage({
    description: 'Dispatch one capability request to a node and wait for its result',
    details: `
      Output chunks stream to stdout as the node produces them; the capability's result
      follows as JSON. With --json, prints exactly one object
      {dispatchId, status, output, error, durationMs}. Ctrl-C cancels the dispatch on the node
      (a second Ctrl-C stops waiting). Exits 0 only when the status is succeeded.
    `,
    examples: [
      ['Read a file', `palyrad nodes invoke 01J9Z3B4C5D6E7F8G9H0JKMNPQ fs.read --input '{"path":"notes.txt"}'`],
      ['Run a command for at most 10 s', `palyrad nodes invoke 01J9Z3B4C5D6E7F8G9H0JKMNPQ shell.exec --input '{"command":"uptime"}' --timeout 10s --json`],
    ],
  });

  deviceId = Option.String({ name: 'deviceId' });
  capability = Option.String({ name: 'capability' });
  input = Option.String('--input', { description: 'Capability input as JSON (default {})' });
  timeout = Option.String('--timeout', { description: 'Deadline for the dispatch (default 30s)' });
  idempotencyKey = Option.String('--idempotency-key', { description: 'Repeat-safe key: a second invoke with the same key and input joins the first dispatch; another input with it is refused' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object with the result' });

  async execute(): Promise<number> {
    const input = parseInputOption(this.input);
    const timeoutMs = this.timeout === undefined ? undefined : parseDuration(this.timeout, '--timeout');
    return this.withClient(async (client) => {
      const controller = new AbortController();
      let dispatchId: string | undefined;
      let interrupts = 0;
      const onSigint = (): void => {
        interrupts += 1;
        if (interrupts === 1 && dispatchId !== undefined) {
          this.context.stderr.write('cancelling (Ctrl-C again to stop waiting)\n');
          void client.cancelDispatch(dispatchId).catch(() => controller.abort());
        } else controller.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        let result: InvocationResult | undefined;
        for await (const event of client.invoke({
          deviceId: this.deviceId,
          capability: this.capability,
          input,
          timeoutMs,
          idempotencyKey: this.idempotencyKey,
          signal: controller.signal,
        })) {
          if (event.type === 'accepted') dispatchId = event.dispatchId;
          else if (event.type === 'result') result = event.result;
          else printLiveEvent(event, this.invocationPrinter(this.json));
        }
        if (result === undefined) throw new PalyraError('PALYRA_E_INTERNAL', 'the daemon ended the invocation without a result');
        return this.report(result);
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
  }

  private report(result: InvocationResult): number {
    return reportInvocationResult(result, this.invocationPrinter(this.json));
  }
}

function parseInputOption(text: string | undefined): unknown {
  if (text === undefined) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new PalyraError('PALYRA_E_USAGE', `--input is not valid JSON (${(error as Error).message}); quote it, e.g. --input '{"path":"a.txt"}'`);
  }
}
