import type { PalyraError } from '@palyra/shared/errors';
import type { ActiveDispatchState, DispatchEvent, DispatchResult, DispatchState, DispatchStatus } from './types.js';

/** Terminal events kept for late subscribers are the result only; output is live-only. */
type Listener = (event: DispatchEvent) => void;

/**
 * One capability request on its way through the daemon:
 * queued -> sent -> running -> one of succeeded, failed, timed_out, cancelled,
 * node_unavailable, rejected, daemon_restarted, unknown. Moves only forward; the first
 * terminal status wins and later reports (a result after a timeout) are ignored, except that
 * a report from the node replaces `unknown` (see replaceUnknown).
 */
export class Dispatch {
  private stateValue: DispatchState = 'queued';
  private resultValue: DispatchResult | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly startedAt: number;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** Who asked (`local`: the admin socket). */
  caller = 'local';
  /** SHA-256 of capability and input (DispatchJournal.inputHash) of a keyed, journaled dispatch; '' otherwise. */
  inputHash = '';
  /** When it went down the node's stream (ms since the epoch). */
  sentAt: number | undefined;
  finishedAt: number | undefined;
  readonly done: Promise<DispatchResult>;
  private resolveDone!: (result: DispatchResult) => void;

  constructor(
    readonly id: string,
    readonly deviceId: string,
    readonly capability: string,
    /** The input as JSON text: what the schema check reads and what the node is sent. */
    readonly inputJson: string,
    readonly deadline: Date,
    readonly idempotencyKey: string | undefined,
    /** When it was accepted (ms since the epoch): a dispatch restored from the journal keeps its own. */
    readonly createdAt = Date.now(),
  ) {
    this.startedAt = createdAt;
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  get state(): DispatchState {
    return this.stateValue;
  }

  get result(): DispatchResult | undefined {
    return this.resultValue;
  }

  get finished(): boolean {
    return this.resultValue !== undefined;
  }

  /** Subscribes; a finished dispatch replays its result at once. Returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    if (this.resultValue !== undefined) {
      listener({ type: 'result', result: this.resultValue });
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  armDeadline(onExpire: () => void): void {
    const ms = Math.max(0, this.deadline.getTime() - Date.now());
    this.deadlineTimer = setTimeout(onExpire, ms);
    this.deadlineTimer.unref();
  }

  /**
   * The daemon is stopping: listeners get an `interrupted` event and are let go, the deadline
   * is disarmed; the dispatch itself stays unfinished (the journal keeps it for the next run).
   */
  interrupt(error: PalyraError): void {
    if (this.finished) return;
    clearTimeout(this.deadlineTimer);
    this.emit({ type: 'interrupted', error });
    this.listeners.clear();
  }

  /**
   * A real report from the node replaces a result of `unknown` (nobody listens any more: the
   * watchers were told `unknown`; later lookups see this). False when the status is not unknown.
   */
  replaceUnknown(status: DispatchStatus, outcome: { output?: unknown; error?: PalyraError } = {}): boolean {
    if (this.resultValue?.status !== 'unknown') return false;
    this.stateValue = status;
    this.finishedAt = Date.now();
    this.resultValue = this.resultOf(status, outcome);
    return true;
  }

  advance(state: ActiveDispatchState): void {
    if (this.finished || rank(state) <= rank(this.stateValue)) return;
    this.stateValue = state;
    this.sentAt ??= Date.now();
    this.emit({ type: 'state', state });
  }

  output(chunk: Buffer): void {
    if (!this.finished) this.emit({ type: 'output', chunk });
  }

  progress(ratio: number, message: string): void {
    if (!this.finished) this.emit({ type: 'progress', ratio, message });
  }

  /** Ends the dispatch; false when it had already ended. */
  finish(status: DispatchStatus, outcome: { output?: unknown; error?: PalyraError } = {}): boolean {
    if (this.finished) return false;
    clearTimeout(this.deadlineTimer);
    this.stateValue = status;
    this.finishedAt = Date.now();
    const result = this.resultOf(status, outcome);
    this.resultValue = result;
    this.emit({ type: 'result', result });
    this.listeners.clear();
    this.resolveDone(result);
    return true;
  }

  /** Finishes at once with a result recorded earlier (a dispatch restored from the journal). */
  restoreResult(result: DispatchResult, finishedAt: number): void {
    if (this.finished) return;
    this.finishedAt = finishedAt;
    this.stateValue = result.status;
    this.resultValue = result;
    this.resolveDone(result);
  }

  private resultOf(status: DispatchStatus, outcome: { output?: unknown; error?: PalyraError }): DispatchResult {
    return {
      dispatchId: this.id,
      status,
      output: status === 'succeeded' ? (outcome.output ?? null) : null,
      error: outcome.error?.toJSON() ?? null,
      durationMs: Date.now() - this.startedAt,
    };
  }

  private emit(event: DispatchEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A failing subscriber (a client that went away) must not break the dispatch.
      }
    }
  }
}

const RANKS: Record<ActiveDispatchState, number> = { queued: 0, sent: 1, running: 2 };

function rank(state: DispatchState): number {
  return state in RANKS ? RANKS[state as ActiveDispatchState] : 3;
}

export type { DispatchStatus };
