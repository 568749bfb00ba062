import type { PalyraErrorJson } from '@palyra/shared/errors';
import type { DispatchStatus } from '../../dispatch/types.js';

/** One node a fan-out dispatches to. */
export interface FanoutTarget {
  deviceId: string;
  name: string;
}

/** A dispatch's status, or `skipped`: never started (--max-failures reached, or cancelled before its turn). */
export type FanoutStatus = DispatchStatus | 'skipped';

/** One node's outcome. Carries the capability's result, never the output streamed before it. */
export interface FanoutNodeResult {
  node: string;
  deviceId: string;
  /** Empty when no dispatch was accepted (skipped, refused). */
  dispatchId: string;
  status: FanoutStatus;
  /** True when it succeeded and, for a result with a numeric `exitCode` (shell.exec), that code is 0. */
  ok: boolean;
  /** The `exitCode` of a shell.exec-like result; absent otherwise. */
  exitCode?: number | null;
  output: unknown;
  error: PalyraErrorJson | null;
  durationMs: number;
}

/** How a fan-out runs. */
export interface FanoutPlan {
  /** Dispatches running at once (default 50). */
  concurrency: number;
  /** Nodes per rolling batch: the next batch starts when the previous one has finished. */
  batch?: { count: number } | { percent: number };
  /** Stop starting dispatches once this many nodes did not succeed; the rest are skipped. */
  maxFailures?: number;
  /** Wait up to this long for an offline node to come online (0: fail it at once). */
  waitOnlineMs: number;
}

export const DEFAULT_FANOUT_CONCURRENCY = 50;
/** A bound on --concurrency: each running dispatch holds a call on the one InvokeMany stream. */
export const MAX_FANOUT_CONCURRENCY = 1_000;
