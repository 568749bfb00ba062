import { Command, Option } from 'clipanion';
import { parseDuration } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import type { InvocationResult } from '../client/invocation.js';
import { parseBatchOption } from '../client/fanout/batchSize.js';
import { DEFAULT_FANOUT_CONCURRENCY, MAX_FANOUT_CONCURRENCY } from '../client/fanout/types.js';
import { printLiveEvent, reportInvocationResult } from './invocationOutput.js';
import { DaemonCommand } from './DaemonCommand.js';

export class NodesInvokeCommand extends DaemonCommand {
  static override paths = [['nodes', 'invoke']];
  static override usage = Command.Usage({
    description: 'Dispatch one capability request to a node (or to many: -l SELECTOR, --all) and wait for the results',
    details: `
      Output chunks stream to stdout as the node produces them; the capability's result
      follows as JSON. With --json, prints exactly one object
      {dispatchId, status, output, error, durationMs}. Ctrl-C cancels the dispatch on the node
      (a second Ctrl-C stops waiting). Exits 0 only when the status is succeeded.

      Fan-out: with -l SELECTOR (or --all) instead of a node, dispatches to every matching
      node over one stream, at most --concurrency at once, in rolling --batch batches; each
      node's output lines are prefixed by its name, then a summary table and counts follow
      (--json: one JSON line per node, then {summary}). Exits 0 only when every node
      succeeded, else PALYRA_E_FANOUT_FAILED (exit 2); Ctrl-C cancels every running dispatch.
    `,
    examples: [
      ['Read a file', `palyrad nodes invoke 01J9Z3B4C5D6E7F8G9H0JKMNPQ fs.read --input '{"path":"notes.txt"}'`],
      ['Run uptime on every web node of prod, 10 at once, stopping after 3 failures', `palyrad nodes invoke -l 'env=prod,role=web' shell.exec --input '{"command":"uptime"}' --concurrency 10 --max-failures 3`],
      ['Run a command for at most 10 s', `palyrad nodes invoke 01J9Z3B4C5D6E7F8G9H0JKMNPQ shell.exec --input '{"command":"uptime"}' --timeout 10s --json`],
    ],
  });

  /** The node; with -l or --all, the capability (there is no node then). */
  deviceId = Option.String({ name: 'deviceId' });
  capability = Option.String({ name: 'capability', required: false });
  selector = Option.String('-l,--selector', { description: 'Fan-out: dispatch to every node this selector matches (env=prod,role in (web,api),!canary)' });
  all = Option.Boolean('--all', false, { description: 'Fan-out: dispatch to every registered node' });
  concurrency = Option.String('--concurrency', { description: `Fan-out: dispatches running at once (default ${DEFAULT_FANOUT_CONCURRENCY}, at most ${MAX_FANOUT_CONCURRENCY})` });
  batch = Option.String('--batch', { description: 'Fan-out: rolling batches of N nodes or P% of them; the next starts when the previous one has finished' });
  maxFailures = Option.String('--max-failures', { description: 'Fan-out: start no new dispatch once N nodes did not succeed (the rest are skipped)' });
  waitOnline = Option.String('--wait-online', { description: 'Fan-out: wait up to this long (30s, 5m) for an offline node to come online instead of failing it' });
  input = Option.String('--input', { description: 'Capability input as JSON (default {})' });
  timeout = Option.String('--timeout', { description: 'Deadline for the dispatch (default 30s)' });
  idempotencyKey = Option.String('--idempotency-key', { description: 'Repeat-safe key: a second invoke with the same key and input joins the first dispatch; another input with it is refused' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object with the result' });

  async execute(): Promise<number> {
    const input = parseInputOption(this.input);
    const timeoutMs = this.timeout === undefined ? undefined : parseDuration(this.timeout, '--timeout');
    if (this.selector !== undefined || this.all) return this.fanout(input, timeoutMs);
    const fanoutOnly = (['--concurrency', '--batch', '--max-failures', '--wait-online'] as const).filter((_, i) => [this.concurrency, this.batch, this.maxFailures, this.waitOnline][i] !== undefined);
    if (fanoutOnly.length > 0) throw new PalyraError('PALYRA_E_USAGE', `${fanoutOnly.join(', ')} only apply to a fan-out (-l SELECTOR or --all)`);
    if (this.capability === undefined) throw new PalyraError('PALYRA_E_USAGE', 'name a node and a capability: palyrad nodes invoke <deviceId> <capability> (or -l SELECTOR <capability>)');
    const capability = this.capability;
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
          capability,
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

  /** -l SELECTOR or --all: the one positional is the capability. */
  private async fanout(input: unknown, timeoutMs: number | undefined): Promise<number> {
    if (this.selector !== undefined && this.selector.trim() === '') throw new PalyraError('PALYRA_E_USAGE', '-l needs a selector (env=prod); --all selects every node');
    if (this.selector !== undefined && this.all) throw new PalyraError('PALYRA_E_USAGE', '-l and --all exclude each other');
    if (this.capability !== undefined) throw new PalyraError('PALYRA_E_USAGE', `with ${this.all ? '--all' : '-l'} name no node, only the capability: palyrad nodes invoke ${this.all ? '--all' : "-l 'env=prod'"} <capability>`);
    if (this.idempotencyKey !== undefined) throw new PalyraError('PALYRA_E_USAGE', '--idempotency-key names one dispatch: not with -l or --all');
    const concurrency = this.concurrency === undefined ? DEFAULT_FANOUT_CONCURRENCY : parseCount(this.concurrency, '--concurrency', 1, MAX_FANOUT_CONCURRENCY);
    const maxFailures = this.maxFailures === undefined ? undefined : parseCount(this.maxFailures, '--max-failures', 1, 1_000_000_000);
    const batch = this.batch === undefined ? undefined : parseBatchOption(this.batch);
    const waitOnlineMs = this.waitOnline === undefined ? 0 : parseDuration(this.waitOnline, '--wait-online');
    const { runFanoutCommand } = await import('./runFanoutCommand.js');
    return this.withClient((client) =>
      runFanoutCommand(
        client,
        {
          selector: this.all ? '' : (this.selector ?? ''),
          capability: this.deviceId,
          input,
          concurrency,
          waitOnlineMs,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          ...(batch ? { batch } : {}),
          ...(maxFailures === undefined ? {} : { maxFailures }),
        },
        { stdout: this.context.stdout, stderr: this.context.stderr, json: this.json },
      ),
    );
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

function parseCount(text: string, flag: string, min: number, max: number): number {
  if (/^\d{1,10}$/.test(text)) {
    const value = Number(text);
    if (value >= min && value <= max) return value;
  }
  throw new PalyraError('PALYRA_E_USAGE', `${flag} must be an integer from ${min} to ${max}, not ${JSON.stringify(text)}`);
}
