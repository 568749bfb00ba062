import { PalyraError } from '@palyra/shared/errors';
import type { Logger } from '@palyra/shared/logging';
import type { AuditActor, AuditSink } from '../audit/types.js';
import { actorRef, type Actor } from './Actor.js';

/** How an actor is named in an audit record. */
export function auditActorOf(actor: Actor): AuditActor {
  return actor.kind === 'local' ? { kind: 'local', uid: actor.uid } : { kind: 'token', tokenId: actor.tokenId, tokenName: actor.tokenName };
}

/**
 * Records a PALYRA_E_FORBIDDEN refusal (auth.denied) with the permission it named. Not awaited
 * by the refusal: nothing was done, so there is no result to hold back; a failed write is
 * logged.
 */
export function auditDenied(audit: AuditSink | undefined, logger: Logger | undefined, actor: Actor, method: string, error: PalyraError): void {
  if (audit === undefined) return;
  const details: Record<string, string> = { method, actor: actorRef(actor) };
  for (const key of ['permission', 'capability', 'node', 'reason'] as const) {
    const value = error.details?.[key];
    if (typeof value === 'string') details[key] = value;
  }
  audit
    .append({
      action: 'auth.denied',
      actor: auditActorOf(actor),
      outcome: 'refused',
      remoteAddress: actor.remoteAddress,
      errorCode: error.code,
      ...(typeof error.details?.node === 'string' ? { node: error.details.node } : {}),
      ...(typeof error.details?.capability === 'string' ? { capability: error.details.capability } : {}),
      details,
    })
    .catch((auditError: unknown) => logger?.error({ error: PalyraError.from(auditError).message }, 'audit: could not record auth.denied'));
}
