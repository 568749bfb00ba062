import type { ApprovalRequest, ApprovalsEvent } from '../../src/client/approvals.js';
import type { ApprovalsSource } from '../../src/approvals/approvalsFeed.js';

/**
 * A scripted ApprovalsSource for rendering tests: `push()` delivers an event to the open
 * watch, `fail()` ends it with an error; decisions resolve with `decideWith`.
 */
export class FakeApprovalsSource implements ApprovalsSource {
  readonly decisions: Array<{ requestId: string; approve: boolean; replaceIdentity: boolean }> = [];
  watches = 0;
  /** Watches ended by their signal (the app unmounted or quit). */
  abortedWatches = 0;
  decideWith: (requestId: string, approve: boolean) => Promise<ApprovalRequest> = (requestId) =>
    Promise.reject(new Error(`no decision scripted for ${requestId}`));
  private queue: ApprovalsEvent[] = [];
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly initial: ApprovalsEvent[] = []) {}

  push(event: ApprovalsEvent): void {
    this.queue.push(event);
    this.wake?.();
  }

  fail(error: Error): void {
    this.failure = error;
    this.wake?.();
  }

  async *watch(signal: AbortSignal): AsyncGenerator<ApprovalsEvent, void, undefined> {
    this.watches += 1;
    this.queue.unshift(...this.initial);
    const onAbort = (): void => this.wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      for (;;) {
        if (signal.aborted) return;
        const failure = this.failure;
        if (failure !== undefined) {
          this.failure = undefined;
          throw failure;
        }
        const event = this.queue.shift();
        if (event !== undefined) {
          yield event;
          continue;
        }
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) this.abortedWatches += 1;
    }
  }

  decide(requestId: string, approve: boolean, replaceIdentity: boolean): Promise<ApprovalRequest> {
    this.decisions.push({ requestId, approve, replaceIdentity });
    return this.decideWith(requestId, approve);
  }
}

/** Polls `frame()` until `predicate` holds; fails with the last frame after `timeoutMs`. */
export async function waitForFrame(
  frame: () => string | undefined,
  predicate: (frame: string) => boolean,
  { timeoutMs = 10_000, what = 'the expected frame' }: { timeoutMs?: number; what?: string } = {},
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = frame() ?? '';
    if (predicate(current)) return current;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last frame:\n${current}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Lets Ink attach its input listener (an effect) and flush a render. */
export function settle(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const KEYS = { up: '\u001b[A', down: '\u001b[B', escape: '\u001b', ctrlC: '\u0003' } as const;

/** The frame without colours. */
export function plain(frame: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (frame ?? '').replace(/\u001b\[[0-9;]*m/g, '');
}

/** Visible width of each line, counting code points. */
export function lineWidths(frame: string | undefined): number[] {
  return plain(frame).split('\n').map((line) => [...line].length);
}

/** The lines inside the request list's border. */
export function listRows(frame: string | undefined): string {
  return plain(frame)
    .split('\n')
    .filter((line) => line.startsWith('│'))
    .join('\n');
}
