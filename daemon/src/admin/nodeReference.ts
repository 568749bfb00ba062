import { PalyraError } from '@palyra/shared/errors';
import { isValidDeviceId } from '@palyra/shared/ids';
import { displayText } from '@palyra/shared/text';
import type { Actor } from '../access/Actor.js';
import { nodeVisible } from '../access/scopes.js';
import type { NodeRecord } from '../registry/types.js';

/** A prefix this short would match by accident: shorter references are names only. */
export const MIN_PREFIX_LENGTH = 4;
/** How many candidates an ambiguous reference lists (the error stays small at any fleet size). */
export const MAX_CANDIDATES = 10;
/** Longer than any device id or node name (128): refused before it is looked at. */
export const MAX_REFERENCE_LENGTH = 256;

/** What the resolver reads of the registry. */
export interface NodeLookup {
  getNode(deviceId: string): Readonly<NodeRecord> | undefined;
  listNodes(): readonly Readonly<NodeRecord>[];
}

/**
 * The one resolver of a node reference (every RPC that names a node): its device id, a unique
 * prefix of it (at least MIN_PREFIX_LENGTH characters, any case), or its exact name. Only nodes
 * the actor may see (a token's node selector) are considered, so a hidden node is not found
 * and never listed as a candidate. PALYRA_E_NODE_AMBIGUOUS lists up to MAX_CANDIDATES with
 * their ids; PALYRA_E_NODE_NOT_FOUND otherwise.
 */
export function resolveNodeReference(lookup: NodeLookup, actor: Actor, reference: string): Readonly<NodeRecord> {
  if (reference === '') throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'name a node: its device id, a unique prefix of it, or its name');
  if (reference.length > MAX_REFERENCE_LENGTH) throw notFound(reference);
  const exact = lookup.getNode(reference);
  if (exact !== undefined && nodeVisible(actor, exact)) return exact;
  const prefix = reference.length >= MIN_PREFIX_LENGTH ? reference.toUpperCase() : undefined;
  const candidates: Readonly<NodeRecord>[] = [];
  let count = 0;
  for (const node of lookup.listNodes()) {
    if (node.name !== reference && (prefix === undefined || !node.deviceId.startsWith(prefix))) continue;
    if (!nodeVisible(actor, node)) continue;
    count++;
    if (candidates.length < MAX_CANDIDATES) candidates.push(node);
  }
  if (count === 1 && candidates[0] !== undefined) return candidates[0];
  if (count === 0) throw notFound(reference);
  candidates.sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
  const listed = candidates.map((n) => `  ${n.deviceId}  ${displayText(n.name)}`).join('\n');
  const more = count > candidates.length ? `\n  … and ${count - candidates.length} more` : '';
  return ambiguous(reference, count, listed + more, candidates);
}

/** The device id `reference` names, for a lookup by device id (see resolveNodeReference). */
export function resolveDeviceId(lookup: NodeLookup, actor: Actor, reference: string): string {
  return resolveNodeReference(lookup, actor, reference).deviceId;
}

/** Whether `reference` is spelled as a full device id (then it names that device, registered or not). */
export function isDeviceIdReference(reference: string): boolean {
  return isValidDeviceId(reference);
}

function ambiguous(reference: string, count: number, listed: string, candidates: readonly Readonly<NodeRecord>[]): never {
  throw new PalyraError('PALYRA_E_NODE_AMBIGUOUS', `"${displayText(reference)}" matches ${count} nodes: name one by its device id or a longer prefix\n${listed}`, {
    details: { reference, count, candidates: candidates.map((n) => ({ deviceId: n.deviceId, name: n.name })) },
  });
}

function notFound(reference: string): PalyraError {
  const shown = displayText(reference.slice(0, 64));
  return new PalyraError('PALYRA_E_NODE_NOT_FOUND', `no registered node "${shown}" (by device id, prefix or name): list them with palyrad nodes list`, {
    details: { reference: reference.slice(0, 64) },
  });
}
