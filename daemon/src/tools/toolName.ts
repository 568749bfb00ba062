import { createHash } from 'node:crypto';
import { CAPABILITY_ID_PATTERN } from '@palyra/plugin-sdk';

/** What both MCP and OpenAI function calling accept as a tool name. */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_TOOL_NAME_LENGTH = 64;
/** A long id keeps this many of its characters, then `__` and HASH_HEX_LENGTH hex of its SHA-256. */
const KEPT_PREFIX_LENGTH = 52;
const HASH_HEX_LENGTH = 10;

/**
 * The tool name of a capability id, or undefined for an id outside CAPABILITY_ID_PATTERN (a
 * node's announcement the contract would have refused: never listed). `.` becomes `_`: ids
 * hold no `_`, so two ids never share a name. An id too long for 64 characters keeps its first
 * 52 and gains `__` and 10 hex of its SHA-256: `__` never occurs in a short name (ids hold no
 * `_` and no `..`), so a long id never takes a short id's name either. The name depends on the
 * id alone: the same on every node, in every listing, in MCP and in the OpenAI format.
 */
export function toolName(capabilityId: string): string | undefined {
  if (!CAPABILITY_ID_PATTERN.test(capabilityId)) return undefined;
  const plain = capabilityId.replaceAll('.', '_');
  if (plain.length <= MAX_TOOL_NAME_LENGTH) return plain;
  const hash = createHash('sha256').update(capabilityId).digest('hex').slice(0, HASH_HEX_LENGTH);
  return `${plain.slice(0, KEPT_PREFIX_LENGTH)}__${hash}`;
}
