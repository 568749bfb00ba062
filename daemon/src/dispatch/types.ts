import type { PalyraError, PalyraErrorJson } from '@palyra/shared/errors';
import type { DispatchRecord } from '../store/types.js';

export type ActiveDispatchState = 'queued' | 'sent' | 'running';
/**
 * How a dispatch ended. `daemon_restarted`: accepted by a daemon that stopped before sending
 * it (never ran, never re-run by itself). `unknown`: sent, and its node never reported (it may
 * have run); the only final status a later report from the node still replaces.
 */
export type DispatchStatus =
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'cancelled'
  | 'node_unavailable'
  | 'rejected'
  | 'daemon_restarted'
  | 'unknown';
export type DispatchState = ActiveDispatchState | DispatchStatus;

export const DISPATCH_STATUSES: readonly DispatchStatus[] = [
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'node_unavailable',
  'rejected',
  'daemon_restarted',
  'unknown',
];

/** Statuses a node may report in a DispatchResult (the others are the daemon's own). */
export const NODE_REPORTED_STATUSES: readonly DispatchStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled', 'rejected'];

export interface DispatchResult {
  dispatchId: string;
  status: DispatchStatus;
  /** The capability's output (succeeded only). */
  output: unknown;
  error: PalyraErrorJson | null;
  durationMs: number;
}

export type DispatchEvent =
  | { type: 'state'; state: ActiveDispatchState }
  | { type: 'output'; chunk: Buffer }
  | { type: 'progress'; ratio: number; message: string }
  | { type: 'result'; result: DispatchResult }
  /** The daemon is stopping: the dispatch stays unfinished in the journal, watchers are let go. */
  | { type: 'interrupted'; error: PalyraError };

export interface DispatchRequest {
  deviceId: string;
  capability: string;
  input: unknown;
  timeoutMs: number;
  idempotencyKey?: string;
  /** Who asks: `local` (the admin socket) by default. */
  caller?: string;
}

/**
 * What `palyrad dispatches list|get` shows of one dispatch: from memory while the daemon holds
 * it, else from the journal. Times are ms since the epoch.
 */
export type DispatchSummary = Omit<DispatchRecord, 'inputJson' | 'resultJson'> & {
  /** The final result once finished; `truncated` when the journal kept it without its output. */
  result: (Omit<DispatchResult, 'output'> & { output: unknown; truncated?: boolean; outputBytes?: number }) | null;
};

/** What a node says about its dispatches when its session opens (SessionHello). */
export interface SessionReport {
  /** Sent in an earlier session and still running: their reports come on this session. */
  runningDispatchIds: readonly string[];
  /** Finished, their results waiting in the node's outbox: sent right after the welcome. */
  finishedDispatchIds: readonly string[];
  /** The node keeps what runs across sessions and understands ResultAck. */
  reconciles: boolean;
}
