import { PalyraError } from '@palyra/shared/errors';
import { childPath } from './childPath.js';

/**
 * The child's environment, built from scratch: PATH (the agent's), then each granted name,
 * from the caller's `requested` values or else passed through from `agentEnv`. Nothing else
 * of the agent's environment reaches the child. A requested name that is not granted is
 * PALYRA_E_CAPABILITY_DENIED; PATH may be overridden only when granted. Whatever its source,
 * the child's PATH keeps only absolute entries (see childPath).
 */
export function buildChildEnv(
  requested: Readonly<Record<string, string>> | undefined,
  granted: ReadonlySet<string>,
  agentEnv: NodeJS.ProcessEnv,
): Record<string, string> {
  const names = requested === undefined ? [] : Object.keys(requested);
  const refused = names.filter((name) => !granted.has(name));
  if (refused.length > 0) {
    const list = refused.map((name) => `"${name}"`).join(', ');
    throw new PalyraError(
      'PALYRA_E_CAPABILITY_DENIED',
      `environment variable${refused.length > 1 ? 's' : ''} ${list} may not be set on this node; to allow, add the ` +
        `name${refused.length > 1 ? 's' : ''} to grants.env of the { use: 'shell' } entry in the palyra-node config`,
      { details: { env: refused } },
    );
  }
  let path = agentEnv.PATH;
  const env = new Map<string, string>();
  for (const name of granted) {
    const value = requested !== undefined && Object.hasOwn(requested, name) ? requested[name] : agentEnv[name];
    if (value === undefined) continue;
    if (name === 'PATH') path = value;
    else env.set(name, value);
  }
  return { PATH: childPath(path), ...Object.fromEntries(env) };
}
