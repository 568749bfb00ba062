/**
 * Keys derived from the CPace ISK, and the confirmation MACs made with them.
 *
 * The draft recommends running ISK through a KDF before use (7, 10.3) and adding explicit key
 * confirmation (10.4). One HKDF-SHA512 extract turns ISK into a PRK; each use expands it with
 * its own label, so the node key, the daemon key and the SAS are independent of each other.
 * The daemon's MAC also covers the node's MAC: it confirms that it saw exactly that message.
 */
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { lvCat, utf8 } from './encoding.js';
import { PAIRING_PROTOCOL } from './types.js';

export const CONFIRMATION_KEY_BYTES = 64;

const LABEL = {
  salt: utf8(`${PAIRING_PROTOCOL} key-schedule`),
  nodeKey: utf8(`${PAIRING_PROTOCOL} node-confirm-key`),
  daemonKey: utf8(`${PAIRING_PROTOCOL} daemon-confirm-key`),
  sas: utf8(`${PAIRING_PROTOCOL} sas`),
  nodeMac: utf8(`${PAIRING_PROTOCOL} node-confirm`),
  daemonMac: utf8(`${PAIRING_PROTOCOL} daemon-confirm`),
};

/** HKDF-Extract(salt = label, IKM = ISK). */
export function extractPairingKey(isk: Uint8Array): Uint8Array {
  return extract(sha512, isk, LABEL.salt);
}

export function nodeConfirmationKey(prk: Uint8Array): Uint8Array {
  return expand(sha512, prk, LABEL.nodeKey, CONFIRMATION_KEY_BYTES);
}

export function daemonConfirmationKey(prk: Uint8Array): Uint8Array {
  return expand(sha512, prk, LABEL.daemonKey, CONFIRMATION_KEY_BYTES);
}

/**
 * SAS bytes: bound to the transcript too, so the code the operator compares covers the
 * claims (device id, keys, CSR) and not only the key exchange.
 */
export function sasBytes(prk: Uint8Array, transcriptHash: Uint8Array, length: number): Uint8Array {
  return expand(sha512, prk, lvCat(LABEL.sas, transcriptHash), length);
}

/** node mac = HMAC-SHA512(kNode, lv_cat("palyra-pair/1 node-confirm", transcriptHash)). */
export function nodeConfirmationMac(kNode: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return hmac(sha512, kNode, lvCat(LABEL.nodeMac, transcriptHash));
}

/** daemon mac = HMAC-SHA512(kDaemon, lv_cat("palyra-pair/1 daemon-confirm", transcriptHash, nodeMac)). */
export function daemonConfirmationMac(kDaemon: Uint8Array, transcriptHash: Uint8Array, nodeMac: Uint8Array): Uint8Array {
  return hmac(sha512, kDaemon, lvCat(LABEL.daemonMac, transcriptHash, nodeMac));
}
