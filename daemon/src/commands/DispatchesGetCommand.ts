import { Command, Option } from 'clipanion';
import { DaemonCommand } from './DaemonCommand.js';

export class DispatchesGetCommand extends DaemonCommand {
  static override paths = [['dispatches', 'get']];
  static override usage = Command.Usage({
    description: 'Show one dispatch from the journal: its state and, once finished, its recorded result',
    details: `
      Exits 0 when the daemon knows the dispatch (whatever its state), 68 with
      PALYRA_E_DISPATCH_NOT_FOUND when it does not (never, or pruned). With --json, prints the
      object \`palyrad dispatches list --json\` lists.
    `,
    examples: [['As JSON', 'palyrad dispatches get 01J9Z3B4C5D6E7F8G9H0JKMNPQ --json']],
  });

  dispatchId = Option.String({ name: 'dispatchId' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    const d = await this.withClient((client) => client.getDispatch(this.dispatchId));
    if (this.json) {
      this.printJson(d);
      return 0;
    }
    this.print(`${d.dispatchId}  ${d.state}`);
    this.print(`  node ${d.deviceId}  capability ${d.capability}  caller ${d.caller}${d.idempotencyKey === null ? '' : `  key ${JSON.stringify(d.idempotencyKey)}`}`);
    this.print(`  created ${d.createdAt}  deadline ${d.deadlineAt}  sent ${d.sentAt ?? '-'}  finished ${d.finishedAt ?? '-'}`);
    if (d.result !== null) {
      if (d.result.error !== null) this.print(`  error ${d.result.error.code}: ${d.result.error.message.replace(/\s*\n\s*/g, ' ')}`);
      if (d.resultTruncated) this.print('  output: larger than the journal keeps (64 KiB), not recorded');
      else if (d.result.output !== null) this.print(JSON.stringify(d.result.output, null, 2));
    }
    return 0;
  }
}
