/**
 * The pairing transcript: everything both sides must agree on before the daemon queues the
 * request for approval. Both confirmation MACs and the node's signature cover its hash, so
 * changing any byte of any field (a claim, a fingerprint, a share) breaks all three.
 *
 * Encoding: lv_cat of a fixed sequence of fields, capabilities as a count followed by the
 * entries. Every field is length-prefixed and the count precedes the list, so no two
 * different transcripts share an encoding.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { leb128, lvCat, utf8 } from './encoding.js';
import { PAIRING_PROTOCOL, type NodeClaims, type PairingMethod } from './types.js';

export interface TranscriptFields {
  method: PairingMethod;
  sid: Uint8Array;
  nodeNonce: Uint8Array;
  daemonNonce: Uint8Array;
  caFingerprint: Uint8Array;
  serverCertFingerprint: Uint8Array;
  /** CPace share of the node (initiator). */
  ya: Uint8Array;
  /** CPace share of the daemon (responder). */
  yb: Uint8Array;
  claims: NodeClaims;
}

export const TRANSCRIPT_HASH_BYTES = 64;

/** The unambiguous byte encoding of the transcript. Claims must already be validated. */
export function encodeTranscript(fields: TranscriptFields): Uint8Array {
  const { claims } = fields;
  return lvCat(
    utf8(`${PAIRING_PROTOCOL} transcript`),
    utf8(fields.method),
    fields.sid,
    fields.nodeNonce,
    fields.daemonNonce,
    fields.caFingerprint,
    fields.serverCertFingerprint,
    fields.ya,
    fields.yb,
    utf8(claims.deviceId),
    utf8(claims.name),
    utf8(claims.platform),
    utf8(claims.hostname),
    utf8(claims.agentVersion),
    leb128(claims.capabilities.length),
    ...claims.capabilities.map(utf8),
    claims.ed25519PublicKey,
    claims.x25519PublicKey,
    claims.csrDer,
  );
}

/** transcriptHash = SHA-512(encodeTranscript(fields)). */
export function hashTranscript(fields: TranscriptFields): Uint8Array {
  return sha512(encodeTranscript(fields));
}
