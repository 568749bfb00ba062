import type { PalyraError } from '@palyra/shared/errors';
import type { ActiveDispatchState, DispatchEvent, DispatchResult, DispatchState, DispatchStatus } from './types.js';

/** Terminal events kept for late subscribers are the result only; output is live-only. */
type Listener = (event: DispatchEvent) => void;

/**
 * One capability request on its way through the daemon:
 * queued -> sent -> running -> one of succeeded, failed, timed_out, cancelled,
 * node_unavailable, rejected. Moves only forward; the first terminal status wins and later
 * reports (a result after a timeout) are ignored.
 */
export class Dispatch {
  private stateValue: DispatchState = 'queued';
  private resultValue: DispatchResult | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly startedAt = Date.now();
  private deadlineTimer: NodeJS.Timeout | undefined;
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
  ) {
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

  advance(state: ActiveDispatchState): void {
    if (this.finished || rank(state) <= rank(this.stateValue)) return;
    this.stateValue = state;
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
    const result: DispatchResult = {
      dispatchId: this.id,
      status,
      output: status === 'succeeded' ? (outcome.output ?? null) : null,
      error: outcome.error?.toJSON() ?? null,
      durationMs: Date.now() - this.startedAt,
    };
    this.resultValue = result;
    this.emit({ type: 'result', result });
    this.listeners.clear();
    this.resolveDone(result);
    return true;
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
