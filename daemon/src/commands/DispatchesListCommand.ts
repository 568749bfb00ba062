import { Command, Option } from 'clipanion';
import { PalyraError } from '@palyra/shared/errors';
import { DaemonCommand } from './DaemonCommand.js';

export class DispatchesListCommand extends DaemonCommand {
  static override paths = [['dispatches', 'list']];
  static override usage = Command.Usage({
    description: 'List dispatches from the journal, newest first',
    details: `
      The daemon's dispatch journal: live dispatches and the finished ones it keeps (7 days,
      at most 100,000, never less than the 24 h idempotency window). With --json, prints one
      array of {dispatchId, deviceId, capability, caller, idempotencyKey, inputHash, state,
      createdAt, deadlineAt, sentAt, finishedAt, result, resultTruncated}.
    `,
    examples: [
      ['What is still running', 'palyrad dispatches list --unfinished'],
      ['The last 10 dispatches of one node, as JSON', 'palyrad dispatches list --node 01J9Z3B4C5D6E7F8G9H0JKMNPQ --limit 10 --json'],
    ],
  });

  node = Option.String('--node', { description: 'Only this node (device id)' });
  unfinished = Option.Boolean('--unfinished', false, { description: 'Only queued, sent or running dispatches' });
  limit = Option.String('--limit', { description: 'At most this many (default 100, at most 10000)' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON array' });

  async execute(): Promise<number> {
    const limit = parseLimit(this.limit);
    const dispatches = await this.withClient((client) =>
      client.listDispatches({ ...(this.node === undefined ? {} : { deviceId: this.node }), unfinished: this.unfinished, ...(limit === undefined ? {} : { limit }) }),
    );
    if (this.json) {
      this.printJson(dispatches);
      return 0;
    }
    if (dispatches.length === 0) {
      this.print('no dispatches');
      return 0;
    }
    for (const d of dispatches) {
      this.print(`${d.dispatchId}  ${d.state.padEnd(16)}  ${d.deviceId}  ${d.capability}  created ${d.createdAt}${d.finishedAt === null ? '' : `  finished ${d.finishedAt}`}`);
    }
    return 0;
  }
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > 10_000) {
    throw new PalyraError('PALYRA_E_USAGE', `--limit must be a whole number from 1 to 10000, not "${text.slice(0, 32)}"`);
  }
  return limit;
}
