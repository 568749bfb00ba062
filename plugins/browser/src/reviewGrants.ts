import { stat } from 'node:fs/promises';
import { PalyraError } from '@palyra/shared/errors';
import { findChromium } from './browser/findChromium.js';
import type { ResolvedGrants } from './grants.js';

/** What an operator should hear about these grants at startup (warnings, not errors). */
export async function reviewGrants(grants: ResolvedGrants, env: NodeJS.ProcessEnv, locations?: readonly string[]): Promise<string[]> {
  const notes: string[] = [];
  const { policy } = grants;
  if (policy.allowUrls.length === 0) {
    notes.push('grants.allowUrls is empty: every browser capability refuses every URL');
    return notes;
  }
  const anyHost = policy.allowUrls.filter((pattern) => pattern.host === '*').map((pattern) => pattern.source);
  if (anyHost.length > 0) {
    notes.push(`grants.allowUrls lets pages reach any host (${anyHost.join(', ')}): list the daemon's addresses and internal networks in grants.denyHosts`);
  }
  if (policy.denyHosts.length === 0) {
    notes.push("grants.denyHosts is empty: list the daemon's own addresses there (for example its gRPC IP:port) so pages cannot reach it");
  }
  if (grants.noSandbox) notes.push('grants.noSandbox is true: Chromium runs without its sandbox');
  if (grants.profilesDir !== undefined) {
    const mode = await stat(grants.profilesDir).then((info) => info.mode, () => undefined);
    if (mode !== undefined && (mode & 0o077) !== 0) {
      notes.push(`grants.profilesDir ${grants.profilesDir} is open to other users (mode ${(mode & 0o777).toString(8)}): profiles will not be saved until you run chmod 700 ${grants.profilesDir}`);
    }
  }
  try {
    await findChromium(grants.chromiumPath, env, locations);
  } catch (error) {
    notes.push(error instanceof PalyraError ? error.message : String(error));
  }
  return notes;
}
