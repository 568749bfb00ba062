import type * as grpc from '@grpc/grpc-js';
import { toServiceError } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { Logger } from '@palyra/shared/logging';
import { actorOf } from '../access/callActor.js';
import { auditActorOf } from '../access/auditDenied.js';
import type { AuditAction, AuditRecord, AuditSink } from '../audit/types.js';

/** What a handler adds to its entry: the node, details... (never a secret). */
export type AuditFacts = Partial<Omit<AuditRecord, 'action' | 'actor' | 'remoteAddress'>>;

export interface AuditedUnaryOptions<Req, Res> {
  audit: AuditSink | undefined;
  logger?: Logger;
  action: AuditAction;
  /** Facts of the entry; `response` is undefined when the action failed. */
  facts?: (request: Req, response: Res | undefined) => AuditFacts;
}

/**
 * A unary admin handler whose action is recorded in the audit log, with the caller
 * (actorOf(call)) and its address, before the answer is sent: the entry is durable when the
 * caller learns the outcome.
 *
 * When the action succeeded but its entry cannot be written (a full disk), the caller gets
 * PALYRA_E_STATE_IO, not the success: the action stays done (a code minted, a node removed
 * cannot be undone here), and the error tells the operator that it was not recorded. A failed
 * action is recorded with its error code; if that entry cannot be written either, the
 * action's own error is the answer and the audit failure is logged.
 */
export function auditedUnary<Req, Res>(
  options: AuditedUnaryOptions<Req, Res>,
  fn: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const record = (outcome: string, response: Res | undefined, errorCode?: string): Promise<void> => {
      if (options.audit === undefined) return Promise.resolve();
      const actor = actorOf(call);
      return options.audit.append({
        action: options.action,
        actor: auditActorOf(actor),
        remoteAddress: actor.remoteAddress,
        ...options.facts?.(call.request, response),
        outcome,
        ...(errorCode === undefined ? {} : { errorCode }),
      });
    };
    fn(call.request, call).then(
      (response) =>
        record('ok', response).then(
          () => callback(null, response),
          (error: unknown) => callback(toServiceError(error)),
        ),
      (error: unknown) => {
        const failure = PalyraError.from(error);
        record(failure.code === 'PALYRA_E_FORBIDDEN' ? 'refused' : 'failed', undefined, failure.code)
          .catch((auditError: unknown) => options.logger?.error({ action: options.action, error: (auditError as Error).message }, 'audit: the entry of a failed action could not be written'))
          .finally(() => callback(toServiceError(error)));
      },
    );
  };
}
