import { createHash } from 'node:crypto';
import type { InvokeRequest__Output } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { AuditActor, AuditSink } from '../audit/types.js';

/** Who asked for an invocation, and where its audit entry goes. */
export interface InvocationAudit {
  sink: AuditSink;
  actor: AuditActor;
  remoteAddress: string;
}

export interface DispatchEnd {
  outcome: string;
  dispatchId?: string;
  errorCode?: string;
  durationMs?: number;
  deduplicated?: boolean;
}

/**
 * Records how one admin-API dispatch ended: who, node, capability, the SHA-256 and size of the
 * input as sent (never the input), the outcome, duration, address and dispatch id. Resolves
 * once durable; callers await it before the result reaches the caller.
 */
export function recordDispatch(audit: InvocationAudit | undefined, request: InvokeRequest__Output, startedAt: number, end: DispatchEnd): Promise<void> {
  if (audit === undefined) return Promise.resolve();
  const input = Buffer.from(request.inputJson, 'utf8');
  return audit.sink.append({
    action: 'dispatch',
    actor: audit.actor,
    remoteAddress: audit.remoteAddress,
    outcome: end.outcome,
    node: request.deviceId,
    capability: request.capability,
    inputSha256: createHash('sha256').update(input).digest('hex'),
    inputBytes: input.length,
    durationMs: end.durationMs ?? Math.max(0, Date.now() - startedAt),
    ...(end.errorCode === undefined ? {} : { errorCode: end.errorCode }),
    ...(end.dispatchId === undefined && end.deduplicated !== true
      ? {}
      : { details: { ...(end.dispatchId === undefined ? {} : { dispatchId: end.dispatchId }), ...(end.deduplicated === true ? { deduplicated: true } : {}) } }),
  });
}

/**
 * The dispatch ran, but its entry could not be written (a full disk): the caller gets this
 * instead of the result, so that no action goes unrecorded silently. The result itself stays
 * in the dispatch journal (`palyrad dispatches get <id>`).
 */
export function unrecordedDispatch(error: unknown, dispatchId: string, status: string): PalyraError {
  return new PalyraError('PALYRA_E_STATE_IO', `dispatch ${dispatchId} ended (${status}) but its audit entry could not be written: ${(error as Error).message}`, {
    cause: error,
    details: { dispatchId, status },
  });
}
