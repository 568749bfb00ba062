/**
 * What ties one CPace run to one pairing attempt, one daemon and one TLS connection.
 *
 * - sid comes from both parties' fresh nonces (draft 10.9), so no run can be replayed into
 *   another attempt and each PIN guess costs the attacker a fresh interaction.
 * - CI (the channel identifier, never sent on the wire) names the protocol, the method, the
 *   daemon's CA and the TLS server certificate the node actually connected to. A relay that
 *   terminates TLS itself presents a different server certificate, so the node and the daemon
 *   derive different generators and no confirmation can verify, even with the right PIN.
 *   Only the responder's (daemon's) identities go into CI, in fixed positions, so the roles
 *   stay unambiguous (draft 10.1.1).
 */
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { lvCat, utf8 } from './encoding.js';
import { PAIRING_PROTOCOL, type PairingMethod } from './types.js';

export const SESSION_ID_BYTES = 16;

/** SHA-256 of a DER certificate: the fingerprint both sides compare and bind. */
export function certificateFingerprint(der: Uint8Array): Uint8Array {
  return sha256(der);
}

/** sid = first 16 bytes of SHA-512(lv_cat("palyra-pair/1 sid", nodeNonce, daemonNonce)). */
export function deriveSessionId(nodeNonce: Uint8Array, daemonNonce: Uint8Array): Uint8Array {
  return sha512(lvCat(utf8(`${PAIRING_PROTOCOL} sid`), nodeNonce, daemonNonce)).slice(0, SESSION_ID_BYTES);
}

/** CI = lv_cat("palyra-pair/1", method, caFingerprint, serverCertFingerprint). */
export function channelIdentifier(
  method: PairingMethod,
  caFingerprint: Uint8Array,
  serverCertFingerprint: Uint8Array,
): Uint8Array {
  return lvCat(utf8(PAIRING_PROTOCOL), utf8(method), caFingerprint, serverCertFingerprint);
}
