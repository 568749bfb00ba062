import { Command } from 'clipanion';
import { PalyraError } from '@palyra/shared/errors';
import { DaemonCommand } from './DaemonCommand.js';

export class ApprovalsCommand extends DaemonCommand {
  static override paths = [['approvals']];
  static override usage = Command.Usage({
    description: 'Approve or reject pairing requests in an interactive terminal UI, live',
    details: `
      Shows the pending pairing requests as they arrive, expire or are decided (also by
      other operators), with each node's name, platform, address, confirmation code (SAS),
      whether it re-pairs a known device, and how long it has waited; nodes going online
      and offline show below. Keys: arrows or j/k move, a approves, r rejects (each asks
      for y/n), q or Ctrl-C quits. Approve only when the node printed the same SAS.

      Needs a terminal: for scripts, use palyrad nodes pending --json and
      palyrad nodes approve|reject <requestId>.
    `,
    examples: [['Watch and decide', 'palyrad approvals --state-dir /var/lib/palyra']],
  });

  async execute(): Promise<number> {
    const { stdin, stdout } = this.context;
    if (!isTty(stdout) || !isTty(stdin)) {
      throw new PalyraError(
        'PALYRA_E_USAGE',
        `palyrad approvals is interactive and needs a terminal (${isTty(stdout) ? 'stdin' : 'stdout'} is not a TTY): in scripts use palyrad nodes pending --json, then palyrad nodes approve|reject <requestId>`,
      );
    }
    // With CI set, Ink prints only the last frame, at exit: a blank screen for an operator who
    // has a terminal (checked above) and, say, CI=true in their shell. Ink reads it on import.
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
    // Ink, React and the client load only for this command: the others stay quick to start.
    const [{ runApprovalsTui }, { controlClientSource }] = await Promise.all([
      import('../ui/runApprovalsTui.js'),
      import('../approvals/approvalsFeed.js'),
    ]);
    await this.withClient((client) =>
      runApprovalsTui({
        source: controlClientSource(client),
        stdin: stdin as NodeJS.ReadStream,
        stdout: stdout as NodeJS.WriteStream,
        stderr: this.context.stderr as NodeJS.WriteStream,
      }),
    );
    return 0;
  }
}

function isTty(stream: unknown): boolean {
  return typeof stream === 'object' && stream !== null && (stream as { isTTY?: unknown }).isTTY === true;
}
