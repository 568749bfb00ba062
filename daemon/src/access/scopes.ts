import { PalyraError } from '@palyra/shared/errors';
import { matchesSelector, parseSelector, type NodeSelector, type SelectorSubject } from '@palyra/shared/selectors';
import type { Actor } from './Actor.js';

/**
 * A capability scope: an exact capability id (`fs.read`) or a prefix ending in `.*` (`fs.*`,
 * which covers `fs.read` and `fs.dir.list` but not `fs` itself).
 */
const SCOPE_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?$/;
export const MAX_SCOPES = 64;

export function assertScopes(scopes: readonly string[]): void {
  if (scopes.length > MAX_SCOPES) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `a token has at most ${MAX_SCOPES} scopes`);
  for (const scope of scopes) {
    if (scope.length > 200 || !SCOPE_PATTERN.test(scope)) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `scope "${scope.slice(0, 200)}" is not a capability pattern: use a capability id (fs.read) or a prefix ending in .* (fs.*)`, {
        details: { scope: scope.slice(0, 200) },
      });
    }
  }
}

/** Whether one scope pattern admits a capability id. */
export function scopeMatches(pattern: string, capability: string): boolean {
  return pattern.endsWith('.*') ? capability.startsWith(pattern.slice(0, -1)) : pattern === capability;
}

/** Whether `outer` admits everything `inner` admits (for the no-escalation rule). */
export function scopeCovers(outer: string, inner: string): boolean {
  if (!outer.endsWith('.*')) return outer === inner;
  return inner.startsWith(outer.slice(0, -1));
}

/** Whether a list of scopes (empty: every capability) admits a capability. */
export function scopesAllow(scopes: readonly string[], capability: string): boolean {
  return scopes.length === 0 || scopes.some((pattern) => scopeMatches(pattern, capability));
}

const parsed = new Map<string, NodeSelector>();

/** The parsed node selector of a token (memoized: a handful of distinct selectors exist). */
function selectorOf(text: string): NodeSelector {
  let selector = parsed.get(text);
  if (selector === undefined) {
    selector = parseSelector(text);
    if (parsed.size > 1024) parsed.clear();
    parsed.set(text, selector);
  }
  return selector;
}

/**
 * A node as a token's selector sees it. Only the operator's labels: a node's own labels (and its
 * capabilities) are what the node says at RegisterNode, so any paired node could declare
 * env=prod and put itself in the scope of a token limited by env=prod (Kubernetes keeps
 * kubelet-set labels out of isolation decisions for the same reason). No status either (it
 * changes under the token).
 */
export type VisibleNode = SelectorSubject & { operatorLabels?: Readonly<Record<string, string>> };

/** Whether the actor may see (and act on) a node: the local owner sees all, a token what its selector matches. */
export function nodeVisible(actor: Actor, node: VisibleNode | undefined): boolean {
  if (actor.kind === 'local' || actor.nodes === '') return true;
  if (node === undefined) return false;
  return matchesSelector(selectorOf(actor.nodes), { name: node.name, deviceId: node.deviceId, platform: node.platform, labels: node.operatorLabels ?? {} });
}

/** True when the actor's reads are not narrowed by a node selector (nothing to filter). */
export function seesEveryNode(actor: Actor): boolean {
  return actor.kind === 'local' || actor.nodes === '';
}

/**
 * Refuses a dispatch the actor's token does not cover: a capability outside its scopes, or a
 * node outside its selector (an unknown node too: a narrowed token learns nothing by probing).
 * PALYRA_E_FORBIDDEN naming the permission (dispatch.invoke), the capability and the node.
 */
export function assertDispatchAllowed(actor: Actor, deviceId: string, capability: string, node: VisibleNode | undefined): void {
  if (actor.kind === 'local') return;
  if (!scopesAllow(actor.scopes, capability)) {
    throw new PalyraError('PALYRA_E_FORBIDDEN', `token ${actor.tokenId} (${actor.tokenName}) may not invoke ${capability}: its scopes are ${actor.scopes.join(', ')}`, {
      details: { permission: 'dispatch.invoke', capability, node: deviceId },
    });
  }
  if (!nodeVisible(actor, node)) {
    throw new PalyraError('PALYRA_E_FORBIDDEN', `token ${actor.tokenId} (${actor.tokenName}) may not invoke on node ${deviceId}: it is limited to nodes matching "${actor.nodes}"`, {
      details: { permission: 'dispatch.invoke', capability, node: deviceId },
    });
  }
}
