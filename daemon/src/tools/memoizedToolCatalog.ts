import { createHash } from 'node:crypto';
import type { NodeInfo__Output } from '@palyra/proto';
import { buildToolCatalog } from './buildToolCatalog.js';
import type { ToolCatalog } from './types.js';

/** Catalogs kept: a few tokens' views of the fleet (each at most CATALOG_LIMITS.maxListingChars). */
const KEPT = 4;
const kept = new Map<string, ToolCatalog>();

/**
 * buildToolCatalog, remembered by its input. It is a pure function of what the nodes announce,
 * and costly with many tools (about 12 ms of CPU for 205: schema parsing, canonical JSON,
 * digests), while that rarely changes between requests. The OpenAI endpoints, which have no
 * session to keep a catalog in, and each MCP session's recomputation after a node event, get
 * the same catalog back for the SHA-256 of the fields it reads (about 0.5 ms): never a stale
 * one, since any change to them is a new key.
 */
export function memoizedToolCatalog(nodes: readonly NodeInfo__Output[]): ToolCatalog {
  const key = catalogInputKey(nodes);
  const hit = kept.get(key);
  if (hit !== undefined) {
    // Most recently used last: the oldest goes first.
    kept.delete(key);
    kept.set(key, hit);
    return hit;
  }
  const catalog = buildToolCatalog(nodes);
  kept.set(key, catalog);
  if (kept.size > KEPT) kept.delete(kept.keys().next().value as string);
  return catalog;
}

/** The SHA-256 of exactly what buildToolCatalog reads: not the health and last-seen fields, which change all the time. */
function catalogInputKey(nodes: readonly NodeInfo__Output[]): string {
  const hash = createHash('sha256');
  for (const node of nodes) {
    hash.update(JSON.stringify([node.deviceId, node.name, node.status]));
    for (const c of node.capabilityDetails) hash.update(JSON.stringify([c.id, c.kind, c.description, c.plugin, c.inputSchemaJson]));
    hash.update('\n');
  }
  return hash.digest('base64url');
}
