import type { PalyraError } from '../errors/index.js';
import type { ProgressUpdate } from '../plugins/index.js';

/** One dispatch to run. */
export interface ExecuteRequest {
  dispatchId: string;
  /** Capability id, e.g. `fs.read`. */
  capability: string;
  /** Parsed JSON input, validated against the capability's inputSchema before it runs. */
  input: unknown;
  /** When the dispatch must be done; the plugin's signal aborts then. */
  deadline: Date;
  /** The caller's cancel (CancelDispatch, lost session, agent stop). */
  signal: AbortSignal;
}

/** Where a running capability's streamed output goes. Never called after the dispatch ended. */
export interface ExecutionSink {
  write(chunk: Uint8Array): void;
  progress(update: ProgressUpdate): void;
}

/** How a dispatch ended; the statuses are DispatchResult's. */
export type ExecutionOutcome =
  | { readonly status: 'succeeded'; readonly output: unknown }
  | { readonly status: 'failed' | 'timed_out' | 'cancelled' | 'rejected'; readonly error: PalyraError };

export type ExecutionStatus = ExecutionOutcome['status'];
