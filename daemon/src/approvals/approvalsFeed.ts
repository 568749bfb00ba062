import { PalyraError } from '@palyra/shared/errors';
import { backoffDelayMs, sleep } from '@palyra/shared/timing';
import { toApprovalRequest, type ApprovalRequest, type ApprovalsEvent } from '../client/approvals.js';
import type { ControlClient } from '../client/ControlClient.js';
import type { ApprovalsAction } from './approvalsState.js';

/** Where the approvals screen gets its data and sends decisions: the daemon, or a fake in tests. */
export interface ApprovalsSource {
  /** A snapshot then live changes, until `signal` aborts (quietly) or the daemon goes away (throws). */
  watch(signal: AbortSignal): AsyncIterable<ApprovalsEvent>;
  /**
   * Approves or rejects a pending request; resolves with the decided request.
   * `replaceIdentity`: the operator confirmed an identity change a second time.
   */
  decide(requestId: string, approve: boolean, replaceIdentity: boolean): Promise<ApprovalRequest>;
}

/** The running daemon behind `client`. */
export function controlClientSource(client: ControlClient): ApprovalsSource {
  return {
    watch: (signal) => client.watchApprovals({ signal }),
    decide: async (requestId, approve, replaceIdentity) =>
      toApprovalRequest(await client.decide(requestId, approve, { replaceIdentity })),
  };
}

export interface FollowOptions {
  signal: AbortSignal;
  /** Wait before watching again after the n-th failure in a row (0-based). Default 0.5 s doubling to 5 s, jittered. */
  retryDelayMs?: (attempt: number) => number;
  now?: () => Date;
}

/**
 * Feeds the watch stream into `dispatch` until `signal` aborts. A lost stream (daemon
 * restarted, socket gone) is reported and watched again after a delay; the new snapshot
 * replaces whatever was shown.
 */
export async function followApprovals(
  source: ApprovalsSource,
  dispatch: (action: ApprovalsAction) => void,
  { signal, retryDelayMs = (n) => backoffDelayMs(n, { baseMs: 500, maxMs: 5_000 }), now = () => new Date() }: FollowOptions,
): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    let message: string;
    try {
      for await (const event of source.watch(signal)) {
        if (event.type === 'snapshot') failures = 0;
        dispatch({ type: 'feed', event });
      }
      message = 'the daemon ended the watch';
    } catch (error) {
      message = PalyraError.from(error).message;
    }
    if (signal.aborted) return;
    dispatch({ type: 'connection-lost', message, at: now().toISOString() });
    await sleep(retryDelayMs(failures), signal);
    failures += 1;
  }
}

/** The code and message of a failed decision, for the notice line. */
export function describeFailure(error: unknown): { code: string; message: string } {
  const palyra = PalyraError.from(error);
  return { code: palyra.code, message: palyra.message };
}
