import type { ToolsAccess, ToolsBackend } from './types.js';

/**
 * What the caller may do with tools, from WhoAmI (the permissions its role grants after the
 * token's narrowing). Deny by default: a permission not listed is not granted. Everything
 * else (scopes, node selector, rate, audit) the daemon checks on the calls the tools layer makes.
 */
export async function toolsAccess(backend: Pick<ToolsBackend, 'whoAmI'>, options: { signal?: AbortSignal } = {}): Promise<ToolsAccess> {
  const who = await backend.whoAmI(options.signal ? { signal: options.signal } : {});
  const permissions = new Set(who.permissions);
  return { canList: permissions.has('compat.tools.list'), canCall: permissions.has('compat.tools.call') };
}
