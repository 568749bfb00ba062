/**
 * A raw RenewCertificate client for tests: it runs the protocol the agent runs (start ->
 * challenge -> proof -> issued) with real keys, CSRs and signatures, and lets a test bend any
 * step (another fingerprint, another device's CSR, a wrong key, a proof from another stream).
 */
import type * as grpc from '@grpc/grpc-js';
import {
  fromServiceError,
  type NodeServiceClient,
  type RenewChallenge__Output,
  type RenewClientMessage,
  type RenewIssued__Output,
  type RenewServerMessage__Output,
} from '@palyra/proto';
import { createCsr, derToPem, fingerprint, generateTlsKeyPair, pemToDer, type PalyraError } from '@palyra/shared';
import { signRenewal } from '@palyra/shared/renewal';
import type { NodeIdentity } from '../../agent/src/identity/index.js';
import type { Scope } from '../integration/harness.js';

export type RenewOutcome =
  | { ok: true; issued: RenewIssued__Output; certPem: string; keyPem: string; fingerprint: string; path: string }
  | { ok: false; error: grpc.ServiceError; palyra: PalyraError };

/** One RenewCertificate stream, step by step. */
export class RenewProbe {
  private readonly call: grpc.ClientDuplexStream<RenewClientMessage, RenewServerMessage__Output>;
  private readonly received: RenewServerMessage__Output[] = [];
  private waiting: ((message: RenewServerMessage__Output | undefined) => void) | undefined;
  /** Resolves with the error the stream ended with, or undefined when it ended OK. */
  readonly ended: Promise<{ error: grpc.ServiceError; palyra: PalyraError } | undefined>;

  constructor(scope: Scope, client: NodeServiceClient) {
    this.call = scope.call(client.RenewCertificate());
    this.ended = new Promise((resolve) => {
      this.call.on('error', (error: grpc.ServiceError) => {
        resolve({ error, palyra: fromServiceError(error) });
        this.waiting?.(undefined);
      });
      this.call.on('status', (status: grpc.StatusObject) => {
        if (status.code === 0) {
          resolve(undefined);
          this.waiting?.(undefined);
        }
      });
    });
    this.call.on('data', (message: RenewServerMessage__Output) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting !== undefined) waiting(message);
      else this.received.push(message);
    });
  }

  write(message: RenewClientMessage): void {
    this.call.write(message);
  }

  /** The next server message, or undefined once the stream ended. */
  next(): Promise<RenewServerMessage__Output | undefined> {
    const queued = this.received.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      this.waiting = resolve;
      void this.ended.then(() => {
        if (this.waiting === resolve) {
          this.waiting = undefined;
          resolve(this.received.shift());
        }
      });
    });
  }

  async challenge(deviceId: string): Promise<RenewChallenge__Output | undefined> {
    this.write({ start: { deviceId } });
    const message = await this.next();
    return message?.challenge ?? undefined;
  }

  end(): void {
    this.call.end();
  }
}

export interface ProofOptions {
  /** Device id of the start message and transcript (default: the identity's). */
  deviceId?: string;
  /** Fingerprint named in the proof (default: of identity.certPem). */
  currentFingerprint?: string;
  /** Device id in the CSR's CN (default: the device id). */
  csrDeviceId?: string;
  /** Ed25519 seed to sign with (default: the identity's). */
  ed25519PrivateKey?: Uint8Array;
  /** Nonce to sign (default: this stream's challenge). */
  nonce?: Uint8Array;
}

/** A proof for `identity` over `nonce`, with a new TLS key; returns the message and the key. */
export async function buildProof(identity: NodeIdentity, nonce: Uint8Array, options: ProofOptions = {}): Promise<{ message: RenewClientMessage; keyPem: string }> {
  const deviceId = options.deviceId ?? identity.deviceId;
  const keys = await generateTlsKeyPair();
  const csrDer = createCsr({ deviceId: options.csrDeviceId ?? deviceId, privateKeyPem: keys.privateKeyPem });
  const currentCertFingerprint = options.currentFingerprint ?? fingerprint(pemToDer(identity.certPem, 'CERTIFICATE'));
  const seed = options.ed25519PrivateKey ?? Buffer.from(identity.ed25519PrivateKey, 'base64');
  const signature = signRenewal({ nonce: options.nonce ?? nonce, deviceId, csrDer, currentCertFingerprint }, seed);
  return { message: { proof: { csrDer, currentCertFingerprint, signature: Buffer.from(signature) } }, keyPem: keys.privateKeyPem };
}

/** A whole renewal on `client` (which presents a certificate, or none for the grace path). */
export async function renewOn(scope: Scope, client: NodeServiceClient, identity: NodeIdentity, options: ProofOptions = {}): Promise<RenewOutcome> {
  const probe = new RenewProbe(scope, client);
  const challenge = await probe.challenge(options.deviceId ?? identity.deviceId);
  if (challenge === undefined) return failure(await probe.ended);
  const { message, keyPem } = await buildProof(identity, challenge.nonce, options);
  probe.write(message);
  const answer = await probe.next();
  if (answer?.issued === undefined || answer.issued === null) return failure(await probe.ended);
  probe.end();
  const certPem = derToPem(answer.issued.certDer, 'CERTIFICATE');
  return { ok: true, issued: answer.issued, certPem, keyPem, fingerprint: fingerprint(answer.issued.certDer), path: challenge.path };
}

function failure(ended: { error: grpc.ServiceError; palyra: PalyraError } | undefined): RenewOutcome {
  if (ended === undefined) throw new Error('the renewal stream ended OK without issuing');
  return { ok: false, ...ended };
}

/** `identity` switched to a renewed certificate (what the agent stores after a renewal). */
export function renewedIdentity(identity: NodeIdentity, renewed: RenewOutcome & { ok: true }): NodeIdentity {
  return { ...identity, certPem: renewed.certPem, tlsPrivateKeyPem: renewed.keyPem, certExpiresAt: renewed.issued.certExpiresAt };
}
