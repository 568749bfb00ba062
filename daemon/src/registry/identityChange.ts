import { PalyraError } from '@palyra/shared/errors';
import { identityKeyFingerprint } from '@palyra/shared/pairing';
import type { NodeRecord, PairingRequestRecord } from './types.js';

/**
 * A pairing request that claims the device id of a registered node under another Ed25519
 * identity key. Approving it replaces that node (its certificate is revoked, its agent is
 * refused from then on), so it is never approved without an operator saying so explicitly.
 * A re-pair with the same key is not one (that is `repair`).
 */
export interface IdentityChange {
  /** Fingerprint (identityKeyFingerprint) of the registered node's key. */
  previousKeyFingerprint: string;
  /** Fingerprint of the key the request brings. */
  keyFingerprint: string;
}

export function keyFingerprintOf(base64Key: string): string {
  return identityKeyFingerprint(Buffer.from(base64Key, 'base64'));
}

/** The identity change `request` is, against the node registered under its device id (if any). */
export function identityChangeOf(
  registered: Pick<NodeRecord, 'ed25519PublicKey'> | undefined,
  request: Pick<PairingRequestRecord, 'ed25519PublicKey'>,
): IdentityChange | undefined {
  if (registered === undefined || registered.ed25519PublicKey === request.ed25519PublicKey) return undefined;
  return {
    previousKeyFingerprint: keyFingerprintOf(registered.ed25519PublicKey),
    keyFingerprint: keyFingerprintOf(request.ed25519PublicKey),
  };
}

/** PALYRA_E_IDENTITY_CHANGE: what approving would do, and what to pass to do it anyway. */
export function identityChangeError(request: Pick<PairingRequestRecord, 'requestId' | 'deviceId'>, change: IdentityChange): PalyraError {
  return new PalyraError(
    'PALYRA_E_IDENTITY_CHANGE',
    `pairing request ${request.requestId} claims device ${request.deviceId}, registered under identity key ` +
      `${change.previousKeyFingerprint}, with another key ${change.keyFingerprint}: approving it replaces that node and ` +
      `revokes its certificate. Only if that device really got a new identity, run: palyrad nodes approve ` +
      `${request.requestId} --replace-identity; otherwise: palyrad nodes reject ${request.requestId}`,
    {
      details: {
        requestId: request.requestId,
        deviceId: request.deviceId,
        previousKeyFingerprint: change.previousKeyFingerprint,
        keyFingerprint: change.keyFingerprint,
      },
    },
  );
}
