import { createHash, randomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { toServiceError, type RenewClientMessage__Output, type RenewServerMessage } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { isValidDeviceId } from '@palyra/shared/ids';
import { RENEWAL_NONCE_BYTES, verifyRenewal } from '@palyra/shared/renewal';
import { CSR_MAX_BYTES } from '../ca/constants.js';
import { heldCertificate } from '../registry/heldCertificate.js';
import type { CertificateRenewal } from '../registry/index.js';
import type { NodeRecord } from '../registry/types.js';
import type { CallWithAuthContext } from '../rpc/authenticatePeer.js';
import type { RenewalBudget } from './RenewalBudget.js';
import type { RenewalServiceDeps } from './RenewalService.js';

export type RenewalCall = grpc.ServerDuplexStream<RenewClientMessage__Output, RenewServerMessage> & CallWithAuthContext;

type Stage = 'start' | 'proof' | 'issuing' | 'done';

/** What the start message and the connection established, before the proof. */
interface Challenge {
  deviceId: string;
  path: 'mtls' | 'grace';
  /** mtls: the fingerprint of the client certificate the connection presented. */
  presentedFingerprint?: string;
  nonce: Buffer;
}

const FINGERPRINT = /^[0-9a-f]{64}$/;
const SIGNATURE_BYTES = 64;

/**
 * One RenewCertificate stream: start -> challenge -> proof -> issued (see node.proto). Every
 * check runs before anything is signed: registration, revocation, that the certificate named
 * is the node's current or previous one (and, on the mTLS path, the one the connection
 * presented), its expiry against the grace, the Ed25519 signature by the node's registered
 * key over this stream's nonce, and the CSR (self-signature, CN = the device id). The nonce
 * is used once: any message after the proof ends the stream.
 */
export class RenewalAttempt {
  private stage: Stage = 'start';
  private challenge: Challenge | undefined;
  /** Messages the node sent on this stream. */
  private received = 0;
  private readonly deadline: NodeJS.Timeout;
  private readonly abort = new AbortController();
  /** Messages are handled one at a time; the issuing step is async. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly call: RenewalCall,
    private readonly deps: RenewalServiceDeps,
    private readonly now: () => Date,
    timeoutMs: number,
    private readonly budget: RenewalBudget,
  ) {
    this.deadline = setTimeout(() => {
      this.fail(new PalyraError('PALYRA_E_TIMEOUT', `the renewal did not finish within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    this.deadline.unref();
  }

  start(): void {
    this.call.on('data', (message: RenewClientMessage__Output) => {
      // One stream is one start and one proof. Counted as they arrive, not once the queue
      // reaches them: a second proof sent while the first is being issued ends the stream
      // (and that issuance) at once, instead of waiting to be dropped after it.
      this.received += 1;
      if (this.received > 2) {
        this.fail(protocol(`unexpected ${message.body ?? 'empty'} message: one stream is one renewal (start, then one proof)`));
        return;
      }
      this.queue = this.queue.then(() => this.handle(message)).catch((error: unknown) => this.fail(error));
    });
    this.call.on('end', () => {
      this.queue = this.queue.then(() => {
        if (this.stage === 'start' || this.stage === 'proof') throw protocol('the node closed its side of the renewal stream before its proof');
      }).catch((error: unknown) => this.fail(error));
    });
    for (const event of ['cancelled', 'error', 'close']) this.call.once(event, () => this.finish());
  }

  private async handle(message: RenewClientMessage__Output): Promise<void> {
    switch (this.stage) {
      case 'start':
        return this.onStart(message);
      case 'proof':
        return this.onProof(message);
      case 'done':
        return;
      default:
        // A second proof, or anything else, while the first is being issued: the nonce is spent.
        throw protocol(`unexpected ${message.body ?? 'empty'} message: one stream is one renewal, and its nonce is already used`);
    }
  }

  private onStart(message: RenewClientMessage__Output): void {
    const start = message.body === 'start' ? message.start : null;
    if (start === null || start === undefined) throw protocol(`expected start, got ${message.body ?? 'an empty message'}`);
    const deviceId = start.deviceId;
    if (typeof deviceId !== 'string' || !isValidDeviceId(deviceId)) throw protocol('start.deviceId is not a device id (ULID)');
    const raw = this.call.getAuthContext()?.sslPeerCertificate?.raw;
    const nonce = randomBytes(RENEWAL_NONCE_BYTES);
    if (raw !== undefined && raw.length > 0) {
      // TLS verified this certificate against the CA: it must be one of this node's, unrevoked.
      const presented = createHash('sha256').update(raw).digest('hex');
      this.checkHolder(deviceId, presented);
      this.challenge = { deviceId, path: 'mtls', presentedFingerprint: presented, nonce };
    } else {
      if (this.deps.renewalGraceMs <= 0) {
        throw new PalyraError('PALYRA_E_CERT_EXPIRED', 'renewal without a valid client certificate is off on this daemon (--renewal-grace 0): pair the node again with palyra-node join');
      }
      registeredNode(this.deps, deviceId);
      this.challenge = { deviceId, path: 'grace', nonce };
    }
    this.stage = 'proof';
    this.send({ challenge: { nonce, path: this.challenge.path } });
  }

  private async onProof(message: RenewClientMessage__Output): Promise<void> {
    const proof = message.body === 'proof' ? message.proof : null;
    const challenge = this.challenge;
    if (proof === null || proof === undefined || challenge === undefined) throw protocol(`expected proof, got ${message.body ?? 'an empty message'}`);
    // Spent from here on, whatever the outcome.
    this.stage = 'issuing';
    const csrDer = proof.csrDer;
    if (!Buffer.isBuffer(csrDer) || csrDer.length === 0 || csrDer.length > CSR_MAX_BYTES) throw protocol(`proof.csrDer must be 1 to ${CSR_MAX_BYTES} bytes`);
    const signature = proof.signature;
    if (!Buffer.isBuffer(signature) || signature.length !== SIGNATURE_BYTES) throw protocol(`proof.signature must be ${SIGNATURE_BYTES} bytes`);
    const fingerprint = proof.currentCertFingerprint;
    if (typeof fingerprint !== 'string' || !FINGERPRINT.test(fingerprint)) throw protocol('proof.currentCertFingerprint must be 64 lowercase hex characters');
    const { deviceId, path } = challenge;
    if (path === 'mtls' && fingerprint !== challenge.presentedFingerprint) {
      throw new PalyraError('PALYRA_E_RENEWAL_REFUSED', 'the proof names another certificate than the one this connection presented');
    }
    const node = this.checkHolder(deviceId, fingerprint);
    const signed = verifyRenewal(
      { nonce: challenge.nonce, deviceId, csrDer, currentCertFingerprint: fingerprint },
      signature,
      Buffer.from(node.ed25519PublicKey, 'base64'),
    );
    if (!signed) throw new PalyraError('PALYRA_E_RENEWAL_REFUSED', "the renewal signature does not verify with the node's registered identity key over this stream's nonce");
    this.deps.ca.checkRenewalCsr(csrDer, deviceId);
    // After the proof (nobody else can spend this node's budget), before any signing.
    this.budget.take(deviceId);

    let issued: Awaited<ReturnType<RenewalServiceDeps['ca']['signNodeCsr']>>;
    let renewal: CertificateRenewal;
    try {
      const signal = this.abort.signal;
      issued = await this.deps.ca.signNodeCsr({ csrDer, deviceId, validityMs: this.deps.certValidityMs, signal });
      renewal = await this.deps.registry.renewCertificate(
        deviceId,
        fingerprint,
        {
          certDer: issued.certDer.toString('base64'),
          fingerprint: issued.fingerprint,
          notAfter: issued.notAfter,
          issuedAt: this.now(),
          caFingerprint: issued.caFingerprint,
        },
        { signal, path },
      );
    } catch (error) {
      // Nothing was issued: the node may try again without waiting for its budget.
      this.budget.refund(deviceId);
      throw error;
    }
    this.deps.logger?.info(
      {
        deviceId,
        path,
        remoteAddress: this.call.getPeer(),
        presentedFingerprint: fingerprint,
        certFingerprint: renewal.certFingerprint,
        certExpiresAt: renewal.certExpiresAt,
        revokedFingerprints: renewal.revokedFingerprints,
      },
      'node certificate renewed',
    );
    this.send({ issued: { certDer: issued.certDer, certExpiresAt: renewal.certExpiresAt, caBundlePem: this.deps.caBundlePem() } });
    this.finish();
    if (!this.call.writableEnded) this.call.end();
  }

  /**
   * The node `deviceId` may renew from the certificate `fingerprint`: registered, the
   * certificate not revoked, one of the node's, and unexpired or expired less than the grace ago.
   */
  private checkHolder(deviceId: string, fingerprint: string): Readonly<NodeRecord> {
    const { registry } = this.deps;
    if (registry.isRevoked(fingerprint)) {
      throw new PalyraError('PALYRA_E_NODE_REVOKED', 'this node certificate was revoked (the node was removed or paired again): pair it again with palyra-node join');
    }
    const holder = registry.nodeForFingerprint(fingerprint);
    if (holder !== undefined && holder.deviceId !== deviceId) {
      throw new PalyraError('PALYRA_E_RENEWAL_REFUSED', `the certificate belongs to another node than ${deviceId}`);
    }
    const node = registeredNode(this.deps, deviceId);
    const held = heldCertificate(node, fingerprint);
    if (held === undefined) throw new PalyraError('PALYRA_E_RENEWAL_REFUSED', `the certificate named is not one of node ${deviceId}'s certificates`);
    // Also on the mTLS path: TLS checked the certificate at the handshake, and a connection
    // can outlive it.
    const expiredAgoMs = this.now().getTime() - Date.parse(held.expiresAt);
    if (expiredAgoMs >= 0 && expiredAgoMs >= this.deps.renewalGraceMs) {
      throw new PalyraError(
        'PALYRA_E_CERT_EXPIRED',
        `the node certificate expired at ${held.expiresAt}, longer ago than the renewal grace (${formatMs(this.deps.renewalGraceMs)}): pair the node again with palyra-node join`,
      );
    }
    return node;
  }

  private send(message: RenewServerMessage): void {
    if (!this.call.writableEnded && !this.call.destroyed) this.call.write(message);
  }

  private fail(error: unknown): void {
    const stage = this.stage;
    this.finish();
    if (this.call.writableEnded || this.call.destroyed) return;
    const refused = PalyraError.from(error);
    const fields = { remoteAddress: this.call.getPeer(), deviceId: this.challenge?.deviceId, path: this.challenge?.path, stage, errorCode: refused.code, error: refused.message };
    if (this.deps.peerLog !== undefined) this.deps.peerLog.note('warn', `renewal-refused:${refused.code}`, fields, 'certificate renewal refused');
    else this.deps.logger?.warn(fields, 'certificate renewal refused');
    this.call.emit('error', toServiceError(refused));
  }

  private finish(): void {
    this.stage = 'done';
    clearTimeout(this.deadline);
    if (!this.abort.signal.aborted) this.abort.abort(new PalyraError('PALYRA_E_CANCELLED', 'the renewal stream ended'));
  }
}

function registeredNode(deps: RenewalServiceDeps, deviceId: string): Readonly<NodeRecord> {
  const node = deps.registry.getNode(deviceId);
  if (node === undefined) {
    throw new PalyraError('PALYRA_E_NODE_REVOKED', `node ${deviceId} is not registered (removed, or never paired): pair it again with palyra-node join`);
  }
  return node;
}

function protocol(message: string): PalyraError {
  return new PalyraError('PALYRA_E_RENEWAL_PROTOCOL', message);
}

function formatMs(ms: number): string {
  const days = ms / 86_400_000;
  if (days >= 1 && Number.isInteger(days)) return `${days}d`;
  const hours = ms / 3_600_000;
  if (hours >= 1 && Number.isInteger(hours)) return `${hours}h`;
  return `${Math.round(ms / 1000)}s`;
}
