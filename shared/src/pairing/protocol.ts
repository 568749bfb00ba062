/**
 * What the two roles of a pairing attempt share: checking the session parameters, deriving
 * sid / CI / the CPace generator, computing the ISK, and enforcing call order.
 *
 * Roles: the node is the CPace initiator (A), the daemon the responder (B).
 *
 *   node -> hello {nodeNonce}
 *   daemon -> serverHello {daemonNonce, caCertDer, salt}
 *   node -> share {Ya}                      PairingInitiator.create(), .share
 *   daemon -> share {Yb}                    PairingResponder.create(), .receiveShare(Ya)
 *   node -> confirm {claims, mac, sig}      PairingInitiator.receiveShare(Yb), .confirm()
 *   daemon -> confirm {mac}                 PairingResponder.verifyNodeConfirm(), .confirm()
 *                                           PairingInitiator.verifyDaemonConfirm()
 *
 * Every session is single-use and fails closed: the first error (bad message, wrong order,
 * failed confirmation) moves it to `failed`, wipes its secrets, and every later call throws.
 */
import { PalyraError } from '../errors/index.js';
import { certificateFingerprint, channelIdentifier, deriveSessionId } from './binding.js';
import { calculateGenerator, deriveIsk, isIdentity, scalarMultVfy } from './cpace.js';
import { copyBytes, wipe } from './encoding.js';
import { PAIRING_LIMITS, type PairingMethod } from './types.js';
import { assertBytes, assertBytesInRange, assertMethod, type ValidationCode } from './validate.js';

export interface PairingSessionParams {
  /** 32-byte PRS from derivePinPrs (method "pin") or deriveQrPrs (method "qr"). */
  prs: Uint8Array;
  method: PairingMethod;
  /** 32 random bytes from the node's hello. */
  nodeNonce: Uint8Array;
  /** 32 random bytes from the daemon's serverHello. */
  daemonNonce: Uint8Array;
  /** The daemon's CA certificate (DER), as sent in serverHello. */
  caCertDer: Uint8Array;
  /**
   * SHA-256 of the daemon's TLS server certificate: the node takes it from its TLS handshake,
   * the daemon from its own certificate. See certificateFingerprint().
   */
  serverCertFingerprint: Uint8Array;
}

/** Public inputs bound into CI and the transcript (copies, so callers cannot mutate them). */
export interface SessionContext {
  method: PairingMethod;
  sid: Uint8Array;
  nodeNonce: Uint8Array;
  daemonNonce: Uint8Array;
  caFingerprint: Uint8Array;
  serverCertFingerprint: Uint8Array;
}

export type PairingRole = 'initiator' | 'responder';

/**
 * ADa and ADb are empty: the roles are fixed by the protocol (the node always initiates),
 * transcript_ir already orders Ya before Yb, and the node's claims are bound later by the
 * confirmation transcript rather than sent alongside the shares.
 */
export const CPACE_AD_INITIATOR = new Uint8Array(0);
export const CPACE_AD_RESPONDER = new Uint8Array(0);

export function protocolError(message: string): PalyraError {
  return new PalyraError('PALYRA_E_PAIRING_PROTOCOL', message);
}

export function confirmationFailed(): PalyraError {
  return new PalyraError('PALYRA_E_PAIRING_FAILED', 'pairing confirmation failed: wrong PIN or tampered exchange');
}

/**
 * Validates the parameters and derives the session context and the (secret) CPace generator.
 * Values that came from the peer fail with PALYRA_E_PAIRING_PROTOCOL, our own with
 * PALYRA_E_INVALID_ARGUMENT.
 */
export function openSession(
  params: PairingSessionParams,
  role: PairingRole,
): { context: SessionContext; generator: Uint8Array } {
  if (typeof params !== 'object' || params === null) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'pairing session parameters must be an object');
  }
  const local: ValidationCode = 'PALYRA_E_INVALID_ARGUMENT';
  const peer: ValidationCode = 'PALYRA_E_PAIRING_PROTOCOL';
  // The node learns daemonNonce and caCertDer from serverHello; the daemon learns nodeNonce.
  const initiator = role === 'initiator';

  assertBytes(params.prs, PAIRING_LIMITS.prsBytes, 'prs', local);
  assertMethod(params.method, local);
  assertBytes(params.nodeNonce, PAIRING_LIMITS.nonceBytes, 'nodeNonce', initiator ? local : peer);
  assertBytes(params.daemonNonce, PAIRING_LIMITS.nonceBytes, 'daemonNonce', initiator ? peer : local);
  assertBytesInRange(params.caCertDer, 1, PAIRING_LIMITS.certificateMaxBytes, 'caCertDer', initiator ? peer : local);
  assertBytes(params.serverCertFingerprint, PAIRING_LIMITS.fingerprintBytes, 'serverCertFingerprint', local);

  const context: SessionContext = {
    method: params.method,
    sid: deriveSessionId(params.nodeNonce, params.daemonNonce),
    nodeNonce: copyBytes(params.nodeNonce),
    daemonNonce: copyBytes(params.daemonNonce),
    caFingerprint: certificateFingerprint(params.caCertDer),
    serverCertFingerprint: copyBytes(params.serverCertFingerprint),
  };
  const ci = channelIdentifier(context.method, context.caFingerprint, context.serverCertFingerprint);
  return { context, generator: calculateGenerator(params.prs, ci, context.sid) };
}

/**
 * K = scalar_mult_vfy(own scalar, peer share), aborting on G.I as the draft requires (7.2),
 * then ISK. K never leaves this function (draft 10.3: a leaked K allows offline guessing).
 */
export function computeIsk(
  context: SessionContext,
  scalar: Uint8Array,
  peerShare: Uint8Array,
  shares: { ya: Uint8Array; yb: Uint8Array },
): Uint8Array {
  const k = scalarMultVfy(scalar, peerShare);
  try {
    if (isIdentity(k)) throw protocolError('the peer sent a low-order CPace share');
    return deriveIsk(context.sid, k, {
      ya: shares.ya,
      ada: CPACE_AD_INITIATOR,
      yb: shares.yb,
      adb: CPACE_AD_RESPONDER,
    });
  } finally {
    wipe(k);
  }
}

/** Call-order enforcement and fail-closed error handling for both roles. */
export abstract class PairingSession<Phase extends string> {
  #phase: Phase | 'failed';

  protected constructor(initial: Phase) {
    this.#phase = initial;
  }

  /** Current phase, for logs and tests; never includes secrets. */
  get phase(): Phase | 'failed' {
    return this.#phase;
  }

  /**
   * Runs one protocol step if the session is in `expected`, moving it to `next` on success
   * and to `failed` (with secrets wiped) on any error.
   */
  protected step<T>(expected: Phase, next: Phase, action: string, run: () => T): T {
    if (this.#phase !== expected) {
      const was = this.#phase;
      this.fail();
      throw protocolError(
        was === 'failed'
          ? `${action}: this pairing session already failed; start a new attempt`
          : `${action} called out of order (session was in phase '${was}')`,
      );
    }
    try {
      const result = run();
      this.#phase = next;
      return result;
    } catch (error) {
      this.fail();
      if (error instanceof PalyraError) throw error;
      // Library errors are not expected after validation; keep them as cause, not message.
      throw new PalyraError('PALYRA_E_INTERNAL', `${action} failed unexpectedly`, { cause: error });
    }
  }

  protected fail(): void {
    this.#phase = 'failed';
    this.wipeSecrets();
  }

  protected abstract wipeSecrets(): void;
}
