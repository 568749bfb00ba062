import type { NodeMessage } from '@palyra/proto';
import type { PalyraError } from '@palyra/shared/errors';
import type { PluginLogger } from '@palyra/shared/plugins';
import type { CertificateLifecycle } from '../connection/NodeConnection.js';
import type { NodeIdentity } from '../identity/index.js';
import { certFingerprint, type IdentityKeeper } from './IdentityKeeper.js';
import type { RenewalManager } from './RenewalManager.js';
import { validateTrustBundle } from './trustBundle.js';

/**
 * The connection's view of the certificate lifecycle: renewal (RenewalManager), the
 * previous certificate kept until the daemon has seen the new one, and trust bundles
 * (stored in the vault, then acknowledged with a TrustAck on the session).
 */
export class NodeCertificateLifecycle implements CertificateLifecycle {
  private send: ((message: NodeMessage) => void) | undefined;
  private pendingAck: string[] | undefined;
  /** A refusal already led to a renewal since the last successful registration. */
  private renewedForRefusal = false;

  constructor(
    private readonly keeper: IdentityKeeper,
    private readonly manager: RenewalManager,
    private readonly logger: PluginLogger,
    private readonly now: () => Date,
  ) {}

  ensureUsable(signal: AbortSignal): Promise<void> {
    return this.manager.ensureUsable(signal);
  }

  registered(identity: NodeIdentity, caBundlePem: string): void {
    this.renewedForRefusal = false;
    this.keeper.confirm(certFingerprint(identity.certPem)).then(
      (dropped) => {
        if (dropped) this.logger.info('the daemon accepted the renewed certificate; the previous one is dropped from the vault');
      },
      (error: unknown) => this.logger.warn('could not drop the previous certificate from the vault (kept until the next start)', { error: (error as Error).message }),
    );
    if (caBundlePem !== '') this.storeBundle(caBundlePem, { ackUnchanged: false });
  }

  async refused(error: PalyraError, signal: AbortSignal): Promise<boolean> {
    if (this.keeper.holder.current.previousCertPem !== undefined && (await this.keeper.fallBack(this.now()))) {
      this.logger.warn('the daemon refused the renewed certificate; falling back to the previous one, which it knows', { code: error.code, error: error.message });
      return true;
    }
    // Only an expiry (TLS refused the certificate, or the daemon says it expired) can be fixed
    // by renewing; a revoked or unknown certificate is final: that refusal says to pair again.
    if (this.renewedForRefusal || !refusedAsExpired(error)) return false;
    this.renewedForRefusal = true;
    this.logger.warn("the daemon refused this node's certificate; renewing it", { code: error.code, error: error.message });
    await this.manager.renewAndWait(`the daemon refused the certificate (${error.code})`, signal);
    return !signal.aborted;
  }

  requestNow(reason: string): void {
    this.logger.info('the daemon asked this node to renew its certificate', { reason });
    this.manager.requestNow(reason);
  }

  trustBundle(pem: string): void {
    this.storeBundle(pem, { ackUnchanged: true });
  }

  attachSession(send: (message: NodeMessage) => void): void {
    this.send = send;
    const pending = this.pendingAck;
    this.pendingAck = undefined;
    if (pending !== undefined) this.ack(pending);
  }

  detachSession(send: (message: NodeMessage) => void): void {
    if (this.send === send) this.send = undefined;
  }

  /** Validates, stores (when it changes what this node trusts), then acknowledges on the session. */
  private storeBundle(pem: string, { ackUnchanged }: { ackUnchanged: boolean }): void {
    let fingerprints: string[];
    let normalized: string;
    try {
      const bundle = validateTrustBundle(pem, this.now());
      fingerprints = bundle.fingerprints;
      normalized = bundle.pem;
    } catch (error) {
      this.logger.warn('ignored a trust bundle from the daemon', { error: (error as Error).message });
      return;
    }
    this.keeper.storeTrust(normalized).then(
      (changed) => {
        if (changed) this.logger.info('stored a new trust bundle from the daemon', { caFingerprints: fingerprints });
        if (changed || ackUnchanged) this.ack(fingerprints);
      },
      (error: unknown) => this.logger.warn('could not store the trust bundle in the vault', { error: (error as Error).message }),
    );
  }

  private ack(fingerprints: string[]): void {
    if (this.send === undefined) {
      this.pendingAck = fingerprints;
      return;
    }
    this.send({ trustAck: { caFingerprints: fingerprints } });
  }
}

/** A refusal a (grace) renewal can fix: the certificate expired, as the daemon or its TLS sees it. */
function refusedAsExpired(error: PalyraError): boolean {
  if (error.details?.reason === 'cert_expired') return true;
  return error.code === 'PALYRA_E_UNAUTHENTICATED' ? /expired|not yet valid/i.test(error.message) : /expired/i.test(error.message);
}
