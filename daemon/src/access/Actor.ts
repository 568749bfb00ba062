import type { Permission, Role } from './permissions.js';

/**
 * Who makes an admin call. The admin socket's caller is the daemon's own user (the file system
 * admitted it): the local owner. A caller on the remote endpoint is the API token it presented.
 */
export type Actor = LocalActor | TokenActor;

export interface LocalActor {
  kind: 'local';
  /** The daemon's uid: the socket is 0600 in a 0700 dir, so only that user reaches it. */
  uid: number;
  role: 'owner';
  permissions: ReadonlySet<Permission>;
  remoteAddress: 'unix';
}

export interface TokenActor {
  kind: 'token';
  tokenId: string;
  tokenName: string;
  role: Role;
  /** The role's permissions, narrowed by the token's own list when it has one. */
  permissions: ReadonlySet<Permission>;
  /** Capability patterns this token may dispatch ("fs.read", "fs.*"); empty: every capability. */
  scopes: readonly string[];
  /** Node selector the token is limited to; "" for every node. */
  nodes: string;
  expiresAt: Date | undefined;
  /** host:port of the peer, as the daemon saw it. */
  remoteAddress: string;
  /** Aborted when the token is revoked (or expires): open streams of the token end then. */
  signal: AbortSignal;
}

/** How an actor is named in the audit log and in `created_by`: `local:<uid>` or `token:<id>`. */
export function actorRef(actor: Actor): string {
  return actor.kind === 'local' ? `local:${actor.uid}` : `token:${actor.tokenId}`;
}
