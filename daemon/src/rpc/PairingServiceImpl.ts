import { randomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import {
  toServiceError,
  type PairClientMessage__Output,
  type PairServerMessage,
  type PairingServiceHandlers,
} from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { PairingResponder, PAIRING_PROTOCOL, type NodeClaims } from '@palyra/shared/pairing';
import { isValidDeviceId, newPairingRequestId } from '@palyra/shared/ids';
import type { Logger, RateLimitedLog } from '@palyra/shared/logging';
import type { CertificateAuthority } from '../ca/index.js';
import type { NodeRegistry } from '../registry/index.js';
import type { PairingRequestRecord, UsablePairingCode } from '../registry/types.js';
import { boundedString, boundedStringList, bytesField } from './validate.js';
import { PeerLimiter, peerAddress, type PeerLimits } from './PeerLimiter.js';
import { logFailure } from '../logging/logFailure.js';

/**
 * Pair streams held at once. Each costs ~14 KB and a timer, and a stream waiting for an
 * operator is held for up to --request-ttl; 32 per address still lets a script enrol many
 * nodes at once from one host.
 */
export const DEFAULT_PAIRING_LIMITS: PeerLimits = { total: 1024, perAddress: 32 };

export interface PairingServiceDeps {
  registry: NodeRegistry;
  ca: CertificateAuthority;
  /** SHA-256 fingerprint (hex) of the TLS server certificate this port presents. */
  serverCertFingerprint: () => string;
  daemonVersion: string;
  /** How long a request waits for an operator's decision. */
  requestTtlMs: number;
  /** How long the exchange may take from hello to confirm. */
  handshakeTimeoutMs?: number;
  now?: () => Date;
  /** Failed attempts are logged (remote address, method, error code: never the PIN). */
  logger?: Logger;
  /** Concurrent Pair streams, in total and per remote address (default DEFAULT_PAIRING_LIMITS). */
  pairingLimits?: PeerLimits;
  /** Lines a peer can trigger at will (refused and failed attempts) go through it, when given, instead of `logger`. */
  peerLog?: RateLimitedLog;
  /** Told each exchange that broke off with an error (wrong PIN, timeout, protocol error): the metrics. */
  onPairingFailed?: () => void;
}

type Stage = 'hello' | 'share' | 'confirm' | 'waiting' | 'done';

/**
 * PairingService.Pair: one stream is one pairing attempt (see proto/palyra/v1/pairing.proto
 * and ../shared/design/PAIRING.md). Runs without a client certificate. The attempt counts
 * against the pairing code as soon as the daemon answers with its CPace share, so a peer that
 * hangs up before confirming still spends one guess.
 */
export function createPairingServiceHandlers(deps: PairingServiceDeps): PairingServiceHandlers {
  const now = deps.now ?? (() => new Date());
  const exchanges = new PeerLimiter(deps.pairingLimits ?? DEFAULT_PAIRING_LIMITS, 'pairing exchange');
  return {
    GetPairingInfo(_call, callback) {
      callback(null, { protocol: PAIRING_PROTOCOL, caCertDer: Buffer.from(deps.ca.caCertDer), daemonVersion: deps.daemonVersion });
    },
    Pair(call) {
      // Refused before anything is allocated for it; the slot is freed when the stream ends
      // either way (the daemon answered, the peer left, or the handshake timer fired).
      const admission = exchanges.admit(peerAddress(call.getPeer()));
      if (!admission.ok) {
        refuseExchange(call, admission, exchanges.limits, deps);
        return;
      }
      for (const event of ['close', 'cancelled', 'error', 'finish']) call.once(event, admission.release);
      new PairingAttempt(call, deps, now).start();
    },
  };
}

class PairingAttempt {
  private stage: Stage = 'hello';
  private code: UsablePairingCode | undefined;
  /** The request this attempt created, once it waits for the operator. */
  private requestId: string | undefined;
  private nodeNonce: Buffer | undefined;
  private readonly daemonNonce = randomBytes(32);
  private responder: PairingResponder | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly handshakeTimer: NodeJS.Timeout;
  /** Messages are handled one at a time; async steps (persistence) must not interleave. */
  private queue: Promise<void> = Promise.resolve();
  /**
   * The CA and server certificate of this exchange, taken when its stream opened: a CA
   * rotation may switch the server certificate meanwhile, and the transcript must name what
   * the node's TLS connection saw.
   */
  private readonly caCertDer: Buffer;
  private readonly serverCertFingerprint: string;

  constructor(
    private readonly call: grpc.ServerDuplexStream<PairClientMessage__Output, PairServerMessage>,
    private readonly deps: PairingServiceDeps,
    private readonly now: () => Date,
  ) {
    this.caCertDer = Buffer.from(deps.ca.caCertDer);
    this.serverCertFingerprint = deps.serverCertFingerprint();
    this.handshakeTimer = setTimeout(() => {
      this.fail(new PalyraError('PALYRA_E_TIMEOUT', 'the pairing exchange took too long; run palyra-node join again'));
    }, deps.handshakeTimeoutMs ?? 30_000);
    this.handshakeTimer.unref();
  }

  start(): void {
    this.call.on('data', (message: PairClientMessage__Output) => {
      this.queue = this.queue.then(() => this.handle(message)).catch((error: unknown) => this.fail(error));
    });
    // In order with the messages before it: a node may half-close right after its confirm.
    this.call.on('end', () => {
      this.queue = this.queue.then(() => this.onPeerEnd()).catch((error: unknown) => this.fail(error));
    });
    this.call.on('cancelled', () => this.abandon());
    this.call.on('error', () => this.abandon());
    this.call.on('close', () => this.abandon());
  }

  /**
   * The stream is gone (the node gave up, crashed or lost the connection, or the daemon is
   * stopping). If the request was still waiting, it is withdrawn: the certificate can only
   * travel on this stream, so approving it would register a node that can never connect.
   * A half-close ('end') is not this: the node may still be waiting for the decision.
   */
  private abandon(): void {
    const orphaned = this.stage === 'waiting' ? this.requestId : undefined;
    this.finish();
    if (orphaned !== undefined) {
      this.deps.registry
        .withdrawRequests([orphaned])
        .catch((error: unknown) => logFailure(this.deps.logger, 'error', 'could not withdraw an abandoned pairing request', error, { requestId: orphaned }));
    }
  }

  private async handle(message: PairClientMessage__Output): Promise<void> {
    if (this.stage === 'done') return;
    switch (this.stage) {
      case 'hello':
        return this.onHello(message);
      case 'share':
        return this.onShare(message);
      case 'confirm':
        return this.onConfirm(message);
      default:
        throw new PalyraError('PALYRA_E_PAIRING_PROTOCOL', `unexpected ${message.body ?? 'empty'} message while waiting for approval`);
    }
  }

  /**
   * The node half-closed the stream. After its confirm it has nothing more to send and may
   * still wait for the decision (which, or the request's expiry, ends the stream). Before that
   * the exchange can no longer finish, so the stream must end now: merely finishing the attempt
   * would also stop the handshake timer and leave an unauthenticated peer's stream open for as
   * long as it likes.
   */
  private onPeerEnd(): void {
    if (this.stage === 'waiting' || this.stage === 'done') return;
    throw new PalyraError('PALYRA_E_PAIRING_PROTOCOL', 'the node closed its side of the pairing stream before the exchange finished');
  }

  private async onHello(message: PairClientMessage__Output): Promise<void> {
    const hello = message.body === 'hello' ? message.hello : null;
    if (hello === null || hello === undefined) throw expected('hello', message);
    if (hello.protocol !== PAIRING_PROTOCOL) {
      throw new PalyraError('PALYRA_E_PAIRING_PROTOCOL', `unsupported pairing protocol "${hello.protocol.slice(0, 32)}": upgrade palyra-node or palyrad`);
    }
    this.nodeNonce = bytesField(hello.nonce, 'hello.nonce', { exact: 32 });
    let supersededCodeIds: string[] = [];
    if (hello.method === 'PAIRING_METHOD_PIN') {
      // The exchange is bound to one code here, and only that code's attempts are spent. A node
      // may name the code (one a serverHello listed); otherwise it gets the active PIN and the
      // list of superseded PINs it can rule out first (see pairing.proto).
      const named = boundedString(hello.codeId, 'hello.codeId', 64, { allowEmpty: true });
      if (named === '') {
        this.code = await this.deps.registry.activePinCode();
        supersededCodeIds = this.deps.registry.supersededPinCandidates();
      } else {
        this.code = await this.deps.registry.pinCodeForExchange(named);
      }
    } else if (hello.method === 'PAIRING_METHOD_QR') {
      const code = await this.deps.registry.findActiveCode(boundedString(hello.codeId, 'hello.codeId', 64));
      // A QR hello may only name a QR code: a PIN's low-entropy key must never be usable here.
      if (code.method !== 'qr') throw new PalyraError('PALYRA_E_PAIRING_NO_CODE', 'no active QR pairing code has this id');
      this.code = code;
    } else {
      throw new PalyraError('PALYRA_E_PAIRING_PROTOCOL', 'unknown pairing method: use PIN or QR');
    }
    this.send({
      serverHello: {
        nonce: this.daemonNonce,
        caCertDer: this.caCertDer,
        pinSalt: Buffer.from(this.code.salt, 'base64'),
        daemonName: 'palyrad',
        codeId: this.code.id,
        supersededCodeIds,
      },
    });
    this.stage = 'share';
  }

  private async onShare(message: PairClientMessage__Output): Promise<void> {
    const share = message.body === 'share' ? message.share : null;
    if (share === null || share === undefined || this.code === undefined || this.nodeNonce === undefined) {
      throw expected('share', message);
    }
    const ya = bytesField(share.share, 'share', { exact: 32 });
    // Count the guess before anything that depends on the PIN leaves the daemon.
    this.code = await this.deps.registry.recordAttempt(this.code.id);
    this.responder = PairingResponder.create({
      prs: Buffer.from(this.code.prs, 'base64'),
      method: this.code.method,
      nodeNonce: this.nodeNonce,
      daemonNonce: this.daemonNonce,
      caCertDer: this.caCertDer,
      serverCertFingerprint: Buffer.from(this.serverCertFingerprint, 'hex'),
    });
    const yb = this.responder.receiveShare(ya);
    this.send({ share: { share: Buffer.from(yb) } });
    this.stage = 'confirm';
  }

  private async onConfirm(message: PairClientMessage__Output): Promise<void> {
    const confirm = message.body === 'confirm' ? message.confirm : null;
    if (confirm === null || confirm === undefined || this.responder === undefined || this.code === undefined) {
      throw expected('confirm', message);
    }
    const claims: NodeClaims = {
      deviceId: boundedString(confirm.deviceId, 'deviceId', 26),
      name: boundedString(confirm.name, 'name', 128),
      platform: boundedString(confirm.platform, 'platform', 64),
      hostname: boundedString(confirm.hostname, 'hostname', 255),
      agentVersion: boundedString(confirm.agentVersion, 'agentVersion', 64),
      capabilities: boundedStringList(confirm.capabilities, 'capabilities', { maxItems: 256, maxLength: 128 }),
      ed25519PublicKey: bytesField(confirm.ed25519PublicKey, 'ed25519PublicKey', { exact: 32 }),
      x25519PublicKey: bytesField(confirm.x25519PublicKey, 'x25519PublicKey', { exact: 32 }),
      csrDer: bytesField(confirm.csrDer, 'csr', { max: 16 * 1024 }),
    };
    // A wrong PIN fails here (PALYRA_E_PAIRING_FAILED); the guess was already counted.
    this.responder.verifyNodeConfirm(
      claims,
      bytesField(confirm.mac, 'mac', { max: 128 }),
      bytesField(confirm.signature, 'signature', { max: 128 }),
    );
    if (!isValidDeviceId(claims.deviceId)) {
      throw new PalyraError('PALYRA_E_PAIRING_PROTOCOL', 'the device id is not a ULID');
    }
    this.deps.ca.checkCsr(claims.csrDer);
    await this.deps.registry.consumeCode(this.code.id);

    const requestedAt = this.now();
    const request = await this.deps.registry.addRequest({
      requestId: newPairingRequestId(),
      deviceId: claims.deviceId,
      codeId: this.code.id,
      method: this.code.method,
      name: claims.name,
      platform: claims.platform,
      hostname: claims.hostname,
      agentVersion: claims.agentVersion,
      capabilities: claims.capabilities,
      remoteAddress: this.call.getPeer(),
      ed25519PublicKey: Buffer.from(claims.ed25519PublicKey).toString('base64'),
      x25519PublicKey: Buffer.from(claims.x25519PublicKey).toString('base64'),
      csr: Buffer.from(claims.csrDer).toString('base64'),
      sas: this.responder.sas,
      repair: false,
      requestedAt: requestedAt.toISOString(),
      expiresAt: new Date(requestedAt.getTime() + this.deps.requestTtlMs).toISOString(),
      state: 'pending_approval',
    });
    clearTimeout(this.handshakeTimer);
    this.requestId = request.requestId;
    this.stage = 'waiting';
    this.send({ confirm: { mac: Buffer.from(this.responder.confirm()), requestId: request.requestId, repair: request.repair } });
    this.send({ decision: { state: 'STATE_PENDING_APPROVAL', certDer: Buffer.alloc(0), expiresAt: request.expiresAt } });
    this.unsubscribe = this.deps.registry.onRequestChange((changed) => {
      if (changed.requestId === request.requestId) this.onDecision(changed);
    });
    // The request may have been decided before this listener existed (the --auto-approve
    // policy acts as soon as the request is stored): the node must hear of it all the same.
    const current = this.deps.registry.findRequest(request.requestId);
    if (current !== undefined && current.state !== 'pending_approval') this.onDecision(current);
  }

  private onDecision(request: PairingRequestRecord): void {
    if (this.stage !== 'waiting') return;
    switch (request.state) {
      case 'approved':
        this.send({
          decision: {
            state: 'STATE_APPROVED',
            certDer: Buffer.from(request.certificate ?? '', 'base64'),
            expiresAt: request.expiresAt,
          },
        });
        break;
      case 'rejected':
        this.send({ decision: { state: 'STATE_REJECTED', certDer: Buffer.alloc(0), expiresAt: request.expiresAt } });
        break;
      case 'expired':
        this.send({ decision: { state: 'STATE_EXPIRED', certDer: Buffer.alloc(0), expiresAt: request.expiresAt } });
        break;
      default:
        return;
    }
    this.finish();
    if (!this.call.writableEnded) this.call.end();
  }

  private send(message: PairServerMessage): void {
    if (!this.call.writableEnded && !this.call.destroyed) this.call.write(message);
  }

  private fail(error: unknown): void {
    const stage = this.stage;
    this.finish();
    if (this.call.writableEnded || this.call.destroyed) return;
    this.deps.onPairingFailed?.();
    const palyra = PalyraError.from(error);
    const fields = { remoteAddress: this.call.getPeer(), method: this.code?.method, stage, errorCode: palyra.code, attempts: this.code?.attempts };
    if (this.deps.peerLog !== undefined) this.deps.peerLog.note('warn', `pairing-failed:${palyra.code}`, fields, 'pairing attempt failed');
    else this.deps.logger?.warn(fields, 'pairing attempt failed');
    this.call.emit('error', toServiceError(error));
  }

  private finish(): void {
    this.stage = 'done';
    clearTimeout(this.handshakeTimer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

function refuseExchange(
  call: grpc.ServerDuplexStream<PairClientMessage__Output, PairServerMessage>,
  refusal: { limit: 'total' | 'perAddress'; held: number; address: string },
  limits: PeerLimits,
  deps: PairingServiceDeps,
): void {
  const perAddress = refusal.limit === 'perAddress';
  const message = perAddress
    ? `this address already has ${limits.perAddress} pairing exchanges in progress (--max-pairings-per-address): retry when one finishes`
    : `the daemon has its maximum of ${limits.total} pairing exchanges in progress (--max-pairings): retry later`;
  const fields = { remoteAddress: refusal.address, held: refusal.held, cap: perAddress ? limits.perAddress : limits.total };
  const line = `refused a pairing exchange: ${message}`;
  if (deps.peerLog !== undefined) deps.peerLog.note('warn', perAddress ? 'pairing-cap-per-address' : 'pairing-cap-total', fields, line);
  else deps.logger?.warn(fields, line);
  call.emit('error', toServiceError(new PalyraError('PALYRA_E_PAIRING_BUSY', message)));
}

function expected(what: string, message: PairClientMessage__Output): PalyraError {
  return new PalyraError('PALYRA_E_PAIRING_PROTOCOL', `expected ${what}, got ${message.body ?? 'an empty message'}`);
}
