import type { Actor } from '../access/Actor.js';
import type { AuditActor } from './types.js';

/** The audit log's name for an admin caller: the local owner's uid, or the token's id and name (never its secret). */
export function auditActorOf(actor: Actor): AuditActor {
  return actor.kind === 'local' ? { kind: 'local', uid: actor.uid } : { kind: 'token', tokenId: actor.tokenId, tokenName: actor.tokenName };
}
