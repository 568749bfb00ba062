import { PalyraError } from '@palyra/shared/errors';
import type { Logger } from '@palyra/shared/logging';
import { logFailure } from '../logging/logFailure.js';
import type { Store } from '../store/types.js';
import { NodeRegistry } from './NodeRegistry.js';
import type { NodeRegistryOptions } from './registryOptions.js';

/**
 * The daemon's registry over its store, with what a previous run left settled:
 * - requests left pending (by a crash) have lost the Pair stream that is the only way to
 *   hand the node its certificate: approving one would register a node that can never
 *   connect, so they are withdrawn (in memory even if the store cannot record it);
 * - codes minted by a previous run ended with it (their derivations lived in its memory):
 *   flush() says so in the store too.
 * A store that cannot be written (a full disk) does not stop the daemon from starting and
 * serving what it can: those writes are logged and retried by the next write.
 */
export async function openDaemonRegistry(
  store: Store,
  { logger, signal, ...options }: NodeRegistryOptions & { logger?: Logger; signal?: AbortSignal },
): Promise<NodeRegistry> {
  const registry = await NodeRegistry.open(store, {
    onError: (error) => logFailure(logger, 'error', 'node registry: a write failed', error),
    ...options,
    signal,
  });
  const logged = (what: string) => (error: unknown) => {
    if (!(error instanceof PalyraError) || error.code !== 'PALYRA_E_STATE_IO') throw error;
    logFailure(logger, 'error', `start-up: ${what} could not be recorded in the state store; serving anyway`, error);
  };
  await registry.withdrawRequests(undefined, { signal, evenIfUnsaved: true }).catch(logged('withdrawing the pairing requests left pending'));
  await registry.flush({ signal }).catch(logged('ending the pairing codes of the previous run'));
  return registry;
}
