import type { PalyraErrorJson } from '@palyra/shared/errors';

export type ActiveDispatchState = 'queued' | 'sent' | 'running';
export type DispatchStatus = 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'node_unavailable' | 'rejected';
export type DispatchState = ActiveDispatchState | DispatchStatus;

export const DISPATCH_STATUSES: readonly DispatchStatus[] = [
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'node_unavailable',
  'rejected',
];

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
  | { type: 'result'; result: DispatchResult };

export interface DispatchRequest {
  deviceId: string;
  capability: string;
  input: unknown;
  timeoutMs: number;
  idempotencyKey?: string;
}
