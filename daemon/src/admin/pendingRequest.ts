import type { PendingRequest } from '@palyra/proto';
import { keyFingerprintOf, type NodeRegistry } from '../registry/index.js';
import type { PairingRequestRecord } from '../registry/types.js';

/**
 * A request as operators see it. `identityChange` is worked out against the registry as it is
 * now (a request stored before the node it claims was registered is flagged all the same).
 */
export function toPendingRequest(
  request: PairingRequestRecord,
  registry: Pick<NodeRegistry, 'identityChangeOf'>,
): PendingRequest {
  const change = registry.identityChangeOf(request);
  return {
    requestId: request.requestId,
    deviceId: request.deviceId,
    name: request.name,
    platform: request.platform,
    hostname: request.hostname,
    sas: request.sas,
    requestedAt: request.requestedAt,
    expiresAt: request.expiresAt,
    repair: request.repair,
    state: request.state,
    remoteAddress: request.remoteAddress,
    identityChange: change !== undefined,
    keyFingerprint: change?.keyFingerprint ?? keyFingerprintOf(request.ed25519PublicKey),
    previousKeyFingerprint: change?.previousKeyFingerprint ?? '',
  };
}
