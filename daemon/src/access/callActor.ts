import { PalyraError } from '@palyra/shared/errors';
import type { Actor, LocalActor } from './Actor.js';
import { ROLE_PERMISSIONS } from './permissions.js';

/**
 * The actor of each admin call, bound by the access gate before the handler runs. A WeakMap on
 * the call object: the entry goes with the call.
 */
const actors = new WeakMap<object, Actor>();

export function bindActor(call: object, actor: Actor): void {
  actors.set(call, actor);
}

/** The caller of `call`; a call the gate never admitted has none (deny by default). */
export function actorOf(call: object): Actor {
  const actor = actors.get(call);
  if (actor === undefined) throw new PalyraError('PALYRA_E_INTERNAL', 'an admin call reached its handler without an authenticated caller');
  return actor;
}

/** The admin socket's caller: the daemon's own user, who owns everything. */
export function localOwner(): LocalActor {
  return { kind: 'local', uid: process.getuid?.() ?? 0, role: 'owner', permissions: ROLE_PERMISSIONS.owner, remoteAddress: 'unix' };
}
