import { render } from 'ink';
import type { ApprovalsSource } from '../approvals/approvalsFeed.js';
import { ApprovalsApp } from './ApprovalsApp.js';

export interface ApprovalsTuiOptions {
  source: ApprovalsSource;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

/** Runs the approvals TUI until the operator quits (q or Ctrl-C). */
export async function runApprovalsTui({ source, stdin, stdout, stderr }: ApprovalsTuiOptions): Promise<void> {
  const instance = render(<ApprovalsApp source={source} />, {
    ...(stdin === undefined ? {} : { stdin }),
    ...(stdout === undefined ? {} : { stdout }),
    ...(stderr === undefined ? {} : { stderr }),
    exitOnCtrlC: true,
  });
  try {
    await instance.waitUntilExit();
  } finally {
    instance.cleanup();
  }
}
