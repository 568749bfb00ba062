import { scopesAllow } from '../access/scopes.js';
import type { ToolCatalog, ToolDefinition, ToolsAccess, ToolsBackend } from './types.js';

/**
 * What the caller may do with tools, from WhoAmI (the permissions its role grants after the
 * token's narrowing). Deny by default: a permission not listed is not granted. Everything
 * else (scopes, node selector, rate, audit) the daemon checks on the calls the tools layer makes.
 */
export async function toolsAccess(backend: Pick<ToolsBackend, 'whoAmI'>, options: { signal?: AbortSignal } = {}): Promise<ToolsAccess> {
  const who = await backend.whoAmI(options.signal ? { signal: options.signal } : {});
  const permissions = new Set(who.permissions);
  return { canList: permissions.has('compat.tools.list'), canCall: permissions.has('compat.tools.call'), scopes: [...who.scopes] };
}

/**
 * The tools a listing shows this caller: none without compat.tools.list, else those whose
 * capability its token's scopes admit (issue 18: only what the token may do is listed). Every
 * listing (MCP tools/list, `palyrad tools list`, GET /v1/tools) goes through here.
 */
export function listedTools(catalog: ToolCatalog, access: ToolsAccess): ToolDefinition[] {
  if (!access.canList) return [];
  return catalog.tools.filter((tool) => scopesAllow(access.scopes, tool.capability));
}
