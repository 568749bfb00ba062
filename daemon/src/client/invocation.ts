import type { InvokeEvent__Output } from '@palyra/proto';
import { PalyraError, parseErrorDetails, type PalyraErrorJson } from '@palyra/shared/errors';
import type { DispatchStatus } from '../dispatch/types.js';

export interface InvokeRequestOptions {
  deviceId: string;
  capability: string;
  input?: unknown;
  /** Milliseconds; default the daemon's (30 s). */
  timeoutMs?: number;
  idempotencyKey?: string;
  /** Aborting cancels the dispatch on the node. */
  signal?: AbortSignal;
}

export interface InvocationResult {
  dispatchId: string;
  status: DispatchStatus;
  output: unknown;
  error: PalyraErrorJson | null;
  durationMs: number;
}

export type InvocationEvent =
  | { type: 'accepted'; dispatchId: string; deduplicated: boolean }
  | { type: 'state'; state: 'queued' | 'sent' | 'running' }
  | { type: 'output'; chunk: Buffer }
  | { type: 'progress'; ratio: number; message: string }
  | { type: 'result'; result: InvocationResult };

/** One InvokeEvent as the client's typed event; undefined for a message it cannot read. */
export function toInvocationEvent(message: InvokeEvent__Output): InvocationEvent | undefined {
  switch (message.body) {
    case 'accepted':
      return message.accepted ? { type: 'accepted', dispatchId: message.accepted.dispatchId, deduplicated: message.accepted.deduplicated } : undefined;
    case 'state':
      return message.state ? { type: 'state', state: message.state.state as 'queued' | 'sent' | 'running' } : undefined;
    case 'output':
      return message.output ? { type: 'output', chunk: message.output.chunk } : undefined;
    case 'progress':
      return message.progress ? { type: 'progress', ratio: message.progress.ratio, message: message.progress.message } : undefined;
    case 'result': {
      const result = message.result;
      if (!result) return undefined;
      let output: unknown = null;
      if (result.outputJson !== '') {
        try {
          output = JSON.parse(result.outputJson) as unknown;
        } catch {
          output = null;
        }
      }
      return {
        type: 'result',
        result: {
          dispatchId: result.dispatchId,
          status: result.status as DispatchStatus,
          output,
          error: result.error ? PalyraError.fromJSON({ code: result.error.code, message: result.error.message, details: parseErrorDetails(result.error.detailsJson) }).toJSON() : null,
          durationMs: result.durationMs,
        },
      };
    }
    default:
      return undefined;
  }
}
