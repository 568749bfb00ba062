/**
 * The node's side of one pairing attempt (CPace initiator). Pure state machine: the caller
 * moves the messages; this class checks them and does the crypto.
 */
import { PalyraError } from '../errors/index.js';
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
import { ed25519PublicKeyOf, signTranscript } from './keys.js';
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

type InitiatorPhase = 'awaiting-share' | 'ready-to-confirm' | 'awaiting-daemon-confirm' | 'done';

export interface NodeConfirmation {
  /** HMAC-SHA512 over the transcript with the node's confirmation key (64 bytes). */
  mac: Uint8Array;
  /** Ed25519 signature over the transcript hash (64 bytes). */
  signature: Uint8Array;
}

export class PairingInitiator extends PairingSession<InitiatorPhase> {
  readonly #context: SessionContext;
  readonly #ya: Uint8Array;
  #scalar: Uint8Array | undefined;
  #yb: Uint8Array | undefined;
  #prk: Uint8Array | undefined;
  #transcriptHash: Uint8Array | undefined;
  #nodeMac: Uint8Array | undefined;
  #sas: string | undefined;

  private constructor(context: SessionContext, scalar: Uint8Array, ya: Uint8Array) {
    super('awaiting-share');
    this.#context = context;
    this.#scalar = scalar;
    this.#ya = ya;
  }

  /** Starts an attempt once serverHello is in: samples ya and computes the share Ya. */
  static create(params: PairingSessionParams): PairingInitiator {
    const { context, generator } = openSession(params, 'initiator');
    const scalar = sampleScalar();
    try {
      return new PairingInitiator(context, scalar, scalarMult(scalar, generator));
    } finally {
      // The generator is PIN-derived: once Ya exists nothing needs it, so do not keep it.
      wipe(generator);
    }
  }

  /** Ya, to send to the daemon (a copy). */
  get share(): Uint8Array {
    return copyBytes(this.#ya);
  }

  /** Takes the daemon's share Yb and derives the session keys. */
  receiveShare(yb: Uint8Array): void {
    this.step('awaiting-share', 'ready-to-confirm', 'receiveShare', () => {
      assertBytes(yb, PAIRING_LIMITS.shareBytes, 'share', 'PALYRA_E_PAIRING_PROTOCOL');
      // Our own share sent back to us: never what an honest daemon sends.
      if (constantTimeEqual(yb, this.#ya)) throw protocolError('the peer reflected our CPace share');
      const scalar = this.#scalar as Uint8Array;
      const peerShare = copyBytes(yb);
      const isk = computeIsk(this.#context, scalar, peerShare, { ya: this.#ya, yb: peerShare });
      this.#yb = peerShare;
      this.#prk = extractPairingKey(isk);
      wipe(isk, scalar);
      this.#scalar = undefined;
    });
  }

  /**
   * Binds the claims into the transcript and returns the node's confirmation: the MAC proves
   * knowledge of the PIN, the signature proves possession of the identity key.
   */
  confirm(nodeClaims: NodeClaims, ed25519PrivateKey: Uint8Array): NodeConfirmation {
    return this.step('ready-to-confirm', 'awaiting-daemon-confirm', 'confirm', () => {
      const claims = parseNodeClaims(nodeClaims, 'PALYRA_E_INVALID_ARGUMENT');
      // Signing with a key other than the claimed one would only be rejected by the daemon.
      if (!constantTimeEqual(ed25519PublicKeyOf(ed25519PrivateKey), claims.ed25519PublicKey)) {
        throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'the Ed25519 private key does not match claims.ed25519PublicKey');
      }
      const transcriptHash = hashTranscript({
        ...this.#context,
        ya: this.#ya,
        yb: this.#yb as Uint8Array,
        claims,
      });
      const kNode = nodeConfirmationKey(this.#prk as Uint8Array);
      const mac = nodeConfirmationMac(kNode, transcriptHash);
      wipe(kNode);
      this.#transcriptHash = transcriptHash;
      this.#nodeMac = mac;
      return { mac: copyBytes(mac), signature: signTranscript(transcriptHash, ed25519PrivateKey) };
    });
  }

  /**
   * Checks the daemon's MAC. Success means the daemon knew the PIN and saw this exact
   * transcript, so the CA in serverHello can be trusted. Throws PALYRA_E_PAIRING_FAILED
   * otherwise, PALYRA_E_PAIRING_PROTOCOL for a malformed MAC.
   */
  verifyDaemonConfirm(mac: Uint8Array): void {
    this.step('awaiting-daemon-confirm', 'done', 'verifyDaemonConfirm', () => {
      assertBytes(mac, PAIRING_LIMITS.macBytes, 'mac', 'PALYRA_E_PAIRING_PROTOCOL');
      const prk = this.#prk as Uint8Array;
      const transcriptHash = this.#transcriptHash as Uint8Array;
      const kDaemon = daemonConfirmationKey(prk);
      const expected = daemonConfirmationMac(kDaemon, transcriptHash, this.#nodeMac as Uint8Array);
      wipe(kDaemon);
      if (!constantTimeEqual(expected, mac)) throw confirmationFailed();
      this.#sas = formatSas(sasBytes(prk, transcriptHash, SAS_BYTES));
      this.wipeSecrets();
    });
  }

  /**
   * The code to show the operator. Only available once the daemon's confirmation verified:
   * a code from an unconfirmed exchange means nothing and must not be shown.
   */
  get sas(): string {
    if (this.#sas === undefined || this.phase === 'failed') {
      throw protocolError('the SAS is available only after verifyDaemonConfirm succeeded');
    }
    return this.#sas;
  }

  protected wipeSecrets(): void {
    wipe(this.#scalar, this.#prk);
    this.#scalar = undefined;
    this.#prk = undefined;
  }
}
