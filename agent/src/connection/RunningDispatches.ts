import type { Dispatch__Output, NodeMessage } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { wallNow } from '../clock/wallClock.js';
import type { CapabilityExecutor } from './CapabilityExecutor.js';
import { dispatchResult } from './dispatchResult.js';
import type { ResultOutbox } from './ResultOutbox.js';

/** Chunks above this are split, keeping each gRPC message well under the 4 MiB limit. */
const MAX_CHUNK_BYTES = 256 * 1024;

/**
 * Executes the dispatches the daemon sends and reports their output and results. A dispatch
 * belongs to the node, not to the Session stream it came on: when the session is lost (the
 * daemon restarts, the network drops) it keeps running until its own deadline or an explicit
 * cancel, its streamed output is dropped meanwhile, and its result goes to the outbox, which
 * delivers it on the next session. Only the agent's own stop aborts what runs.
 */
export class RunningDispatches {
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private send: ((message: NodeMessage) => void) | undefined;

  constructor(
    private readonly executor: CapabilityExecutor,
    private readonly outbox: ResultOutbox,
  ) {}

  get size(): number {
    return this.running.size;
  }

  /** The ids running now (the hello's running_dispatch_ids). */
  get ids(): string[] {
    return [...this.running.keys()];
  }

  /** A session was welcomed: `started` and output go up it from now on. */
  attach(send: (message: NodeMessage) => void): void {
    this.send = send;
  }

  /** The session ended: what runs keeps running; its output has nowhere to go until the next session. */
  detach(send?: (message: NodeMessage) => void): void {
    // A session that ends after its successor attached (a renewal's handover) detaches nothing.
    if (send === undefined || this.send === send) this.send = undefined;
  }

  /**
   * Starts a dispatch. A repeat of one running, or of one whose result is held in the outbox
   * (a daemon resending after a restart), is ignored: nothing runs twice on this node.
   */
  start(dispatch: Dispatch__Output): void {
    const id = dispatch.dispatchId;
    if (id === '' || this.running.has(id) || this.outbox.has(id)) return;
    const entry = { controller: new AbortController(), done: Promise.resolve() };
    this.running.set(id, entry);
    entry.done = this.run(dispatch, entry.controller).finally(() => this.running.delete(id));
  }

  cancel(dispatchId: string): void {
    this.running.get(dispatchId)?.controller.abort(new PalyraError('PALYRA_E_CANCELLED', 'cancelled by the daemon'));
  }

  /** The agent stops: every running capability is aborted; resolves when all have ended (their results are in the outbox). */
  async stop(): Promise<void> {
    for (const { controller } of this.running.values()) {
      controller.abort(new PalyraError('PALYRA_E_CANCELLED', 'the agent is stopping'));
    }
    await Promise.all([...this.running.values()].map(({ done }) => done));
  }

  private emit(message: NodeMessage): void {
    this.send?.(message);
  }

  private async run(dispatch: Dispatch__Output, controller: AbortController): Promise<void> {
    const receivedAtMs = wallNow();
    const dispatchId = dispatch.dispatchId;
    let input: unknown;
    try {
      input = dispatch.inputJson === '' ? {} : (JSON.parse(dispatch.inputJson) as unknown);
    } catch {
      this.outbox.add(dispatchResult(dispatchId, 'rejected', undefined, new PalyraError('PALYRA_E_INPUT_INVALID', 'the dispatch input is not JSON')));
      return;
    }
    // `started` tells the daemon (and whoever follows the dispatch) that it is running. A
    // capability done within this turn of the event loop needs no such news: its result says
    // more, and one message fewer each way is a fifth of a no-op dispatch's cost.
    const started = setImmediate(() => this.emit({ started: { dispatchId } }));
    const outcome = await this.executor.execute(
      {
        dispatchId,
        capability: dispatch.capability,
        input,
        deadline: deadlineOf(dispatch, receivedAtMs),
        signal: controller.signal,
      },
      {
        write: (chunk) => {
          for (let offset = 0; offset < chunk.length; offset += MAX_CHUNK_BYTES) {
            this.emit({ output: { dispatchId, chunk: Buffer.from(chunk.subarray(offset, offset + MAX_CHUNK_BYTES)) } });
          }
        },
        progress: ({ ratio, message }) => {
          this.emit({ output: { dispatchId, progressRatio: ratio ?? 0, progressMessage: message ?? '' } });
        },
      },
    );
    clearImmediate(started);
    this.outbox.add(
      outcome.status === 'succeeded'
        ? dispatchResult(dispatchId, 'succeeded', outcome.output)
        : dispatchResult(dispatchId, outcome.status, undefined, outcome.error),
    );
  }
}

/**
 * The dispatch's deadline on this node's clock: the time the daemon said was left, counted
 * from receipt, so a node clock that is off does not shorten or stretch it. A daemon older
 * than timeout_ms sends only its own wall-clock deadline; then that is all there is.
 */
function deadlineOf(dispatch: Dispatch__Output, receivedAtMs: number): Date {
  const timeoutMs = Number(dispatch.timeoutMs);
  if (Number.isSafeInteger(timeoutMs) && timeoutMs > 0) return new Date(receivedAtMs + timeoutMs);
  const deadlineMs = Number(dispatch.deadlineUnixMs);
  return new Date(Number.isFinite(deadlineMs) && deadlineMs > 0 ? deadlineMs : receivedAtMs + 30_000);
}
