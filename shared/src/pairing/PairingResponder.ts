/**
 * The daemon's side of one pairing attempt (CPace responder). Pure state machine: the caller
 * moves the messages, counts failed attempts and burns codes; this class checks the messages
 * and does the crypto.
 */
import { sampleScalar, scalarMult } from './cpace.js';
import { constantTimeEqual, copyBytes, wipe } from './encoding.js';
import {
  daemonConfirmationKey,
  daemonConfirmationMac,
  extractPairingKey,
  nodeConfirmationKey,
  nodeConfirmationMac,
  sasBytes,
} from './keySchedule.js';
import { verifyTranscriptSignatureOfCheckedKey } from './keys.js';
import {
  PairingSession,
  computeIsk,
  confirmationFailed,
  openSession,
  protocolError,
  type PairingSessionParams,
  type SessionContext,
} from './protocol.js';
import { SAS_BYTES, formatSas } from './sas.js';
import { hashTranscript } from './transcript.js';
import { PAIRING_LIMITS, type NodeClaims } from './types.js';
import { assertBytes, parseNodeClaims } from './validate.js';

type ResponderPhase = 'awaiting-share' | 'awaiting-node-confirm' | 'node-verified' | 'done';

export class PairingResponder extends PairingSession<ResponderPhase> {
  readonly #context: SessionContext;
  readonly #yb: Uint8Array;
  #scalar: Uint8Array | undefined;
  #ya: Uint8Array | undefined;
  #prk: Uint8Array | undefined;
  #transcriptHash: Uint8Array | undefined;
  #nodeMac: Uint8Array | undefined;
  #sas: string | undefined;

  private constructor(context: SessionContext, scalar: Uint8Array, yb: Uint8Array) {
    super('awaiting-share');
    this.#context = context;
    this.#scalar = scalar;
    this.#yb = yb;
  }

  /**
   * Prepares the daemon's side once hello is in and serverHello is decided. Yb is computed
   * here so the PIN-derived generator can be wiped at once; it is only handed out by
   * receiveShare(), after the node has committed to Ya.
   */
  static create(params: PairingSessionParams): PairingResponder {
    const { context, generator } = openSession(params, 'responder');
    const scalar = sampleScalar();
    try {
      return new PairingResponder(context, scalar, scalarMult(scalar, generator));
    } finally {
      wipe(generator);
    }
  }

  /** Takes the node's share Ya, derives the session keys, and returns Yb to send back. */
  receiveShare(ya: Uint8Array): Uint8Array {
    return this.step('awaiting-share', 'awaiting-node-confirm', 'receiveShare', () => {
      assertBytes(ya, PAIRING_LIMITS.shareBytes, 'share', 'PALYRA_E_PAIRING_PROTOCOL');
      const scalar = this.#scalar as Uint8Array;
      const peerShare = copyBytes(ya);
      const isk = computeIsk(this.#context, scalar, peerShare, { ya: peerShare, yb: this.#yb });
      this.#ya = peerShare;
      this.#prk = extractPairingKey(isk);
      wipe(isk, scalar);
      this.#scalar = undefined;
      return copyBytes(this.#yb);
    });
  }

  /**
   * Checks the node's confirmation.
   * - Malformed claims, MAC or signature: PALYRA_E_PAIRING_PROTOCOL.
   * - MAC mismatch: PALYRA_E_PAIRING_FAILED (wrong PIN, or the exchange was tampered with);
   *   the caller counts this as a failed attempt.
   * - MAC fine but signature bad: PALYRA_E_PAIRING_PROTOCOL (the node knows the PIN but does
   *   not hold the identity key it claims).
   */
  verifyNodeConfirm(nodeClaims: NodeClaims, mac: Uint8Array, signature: Uint8Array): void {
    this.step('awaiting-node-confirm', 'node-verified', 'verifyNodeConfirm', () => {
      const claims = parseNodeClaims(nodeClaims, 'PALYRA_E_PAIRING_PROTOCOL');
      assertBytes(mac, PAIRING_LIMITS.macBytes, 'mac', 'PALYRA_E_PAIRING_PROTOCOL');
      assertBytes(signature, PAIRING_LIMITS.signatureBytes, 'signature', 'PALYRA_E_PAIRING_PROTOCOL');
      const prk = this.#prk as Uint8Array;
      const transcriptHash = hashTranscript({ ...this.#context, ya: this.#ya as Uint8Array, yb: this.#yb, claims });
      const kNode = nodeConfirmationKey(prk);
      const expected = nodeConfirmationMac(kNode, transcriptHash);
      wipe(kNode);
      // MAC first: only a party that knows the PIN learns anything from the signature check.
      if (!constantTimeEqual(expected, mac)) throw confirmationFailed();
      // parseNodeClaims has refused small-order and mixed-order keys already.
      if (!verifyTranscriptSignatureOfCheckedKey(transcriptHash, signature, claims.ed25519PublicKey)) {
        throw protocolError('the node signature over the pairing transcript does not verify');
      }
      this.#transcriptHash = transcriptHash;
      this.#nodeMac = expected;
      this.#sas = formatSas(sasBytes(prk, transcriptHash, SAS_BYTES));
    });
  }

  /** The daemon's MAC, to send to the node (64 bytes). Only after verifyNodeConfirm succeeded. */
  confirm(): Uint8Array {
    return this.step('node-verified', 'done', 'confirm', () => {
      const kDaemon = daemonConfirmationKey(this.#prk as Uint8Array);
      const mac = daemonConfirmationMac(kDaemon, this.#transcriptHash as Uint8Array, this.#nodeMac as Uint8Array);
      wipe(kDaemon);
      this.wipeSecrets();
      return mac;
    });
  }

  /** The code to show the operator; available once the node's confirmation verified. */
  get sas(): string {
    if (this.#sas === undefined || this.phase === 'failed') {
      throw protocolError('the SAS is available only after verifyNodeConfirm succeeded');
    }
    return this.#sas;
  }

  protected wipeSecrets(): void {
    wipe(this.#scalar, this.#prk);
    this.#scalar = undefined;
    this.#prk = undefined;
  }
}
