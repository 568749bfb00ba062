import { Command, Option } from 'clipanion';
import { PalyraError } from '@palyra/shared/errors';
import { DaemonCommand } from './DaemonCommand.js';

export class AuditVerifyCommand extends DaemonCommand {
  static override paths = [['audit', 'verify']];
  static override usage = Command.Usage({
    description: "Check the audit log's hash chain",
    details: `
      The daemon walks every audit file in order and checks each entry's HMAC, its sequence
      number and its link to the entry before, and the anchor against entries cut off the end.
      Exit 0 when intact; otherwise PALYRA_E_AUDIT_TAMPERED names the first entry that was
      edited, removed or reordered, or the file that was truncated (file and line). The check
      itself is recorded (audit.verify). With --json, prints {ok, entries, files, firstBadSeq,
      firstBadFile, firstBadLine, problem, lastSeq, lastHash} as well.
    `,
    examples: [['Check the chain', 'palyrad audit verify']],
  });

  json = Option.Boolean('--json', false, { description: 'Print the verification as JSON' });

  async execute(): Promise<number> {
    const report = await this.withClient((client) => client.verifyAudit());
    if (this.json) this.printJson(report);
    else if (report.ok) this.print(`audit log intact: ${report.entries} entries in ${report.files} files, last #${report.lastSeq}`);
    if (!report.ok) {
      throw new PalyraError(
        'PALYRA_E_AUDIT_TAMPERED',
        `the audit log fails at entry ${report.firstBadSeq} (${report.firstBadFile}${report.firstBadLine > 0 ? ` line ${report.firstBadLine}` : ''}): ${report.problem}`,
        { details: { firstBadSeq: report.firstBadSeq, firstBadFile: report.firstBadFile, firstBadLine: report.firstBadLine, problem: report.problem } },
      );
    }
    return 0;
  }
}
