import { resolveVaultSettings } from '@palyra/shared/vault';
import { ControlClient } from '../client/ControlClient.js';
import { checkProfileName } from './profileNames.js';
import { operatorConfigDir } from './operatorConfigDir.js';
import { OperatorTokenVault } from './OperatorTokenVault.js';
import { ProfileStore, type OperatorProfile } from './ProfileStore.js';

/**
 * A client for the daemon of a saved profile: the token from its vault, the CA saved at login
 * (checked against the pinned fingerprint), every connection verified before the token goes
 * out. PALYRA_E_PROFILE_NOT_FOUND when there is no such profile.
 */
export async function openProfileClient(
  name: string,
  { env = process.env, signal }: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
): Promise<{ client: ControlClient; profile: OperatorProfile }> {
  checkProfileName(name, env.PALYRA_PROFILE === name ? 'PALYRA_PROFILE' : '--profile');
  const configDir = operatorConfigDir(env);
  const profile = await new ProfileStore(configDir).get(name);
  const token = await new OperatorTokenVault({ configDir, env, ...resolveVaultSettings({}, env) }).load(name, profile.tokenStore, signal ? { signal } : {});
  const client = await ControlClient.connectRemote({
    address: profile.daemon,
    caFingerprint: profile.caFingerprint,
    caCertPem: profile.caCertPem,
    token,
    ...(signal ? { signal } : {}),
  });
  return { client, profile };
}
