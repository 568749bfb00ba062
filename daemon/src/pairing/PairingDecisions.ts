import { PalyraError } from '@palyra/shared/errors';
import type { CertificateAuthority } from '../ca/index.js';
import { identityChangeError, type NodeRegistry } from '../registry/index.js';
import type { PairingRequestRecord } from '../registry/types.js';

/**
 * An operator's decision on a pending pairing request. Approval signs the node's CSR (its
 * private key never leaves the node) and registers the node; the waiting Pair stream hears
 * of it through the registry and hands the certificate over.
 */
export class PairingDecisions {
  constructor(
    private readonly registry: NodeRegistry,
    private readonly ca: CertificateAuthority,
    /** Lifetime of the certificate an approval issues (--cert-validity). */
    private readonly certValidityMs: number,
  ) {}

  /**
   * `replaceIdentity`: the operator approves an identity change (the request claims a
   * registered device id under another key); without it such a request is refused with
   * PALYRA_E_IDENTITY_CHANGE and stays pending.
   */
  async approve(
    idOrDeviceId: string,
    { signal, replaceIdentity = false }: { signal?: AbortSignal; replaceIdentity?: boolean } = {},
  ): Promise<PairingRequestRecord> {
    const request = this.pending(idOrDeviceId);
    // Refused before signing anything; the registry checks again when it registers the node.
    const change = this.registry.identityChangeOf(request);
    if (change !== undefined && !replaceIdentity) throw identityChangeError(request, change);
    const issued = await this.ca.signNodeCsr({
      csrDer: Buffer.from(request.csr, 'base64'),
      deviceId: request.deviceId,
      validityMs: this.certValidityMs,
      // The CA the node pinned in the exchange (the server's): the agent checks the certificate
      // against it. During a CA rotation the node gets the bundle at its first RegisterNode and
      // is asked to renew onto the signing CA as soon as its Session opens (CaRotation.nodeOnline).
      issuer: this.ca.caFingerprint,
      signal,
    });
    return this.registry.approve(
      request.requestId,
      {
        certDer: Buffer.from(issued.certDer).toString('base64'),
        fingerprint: issued.fingerprint,
        notAfter: issued.notAfter.toISOString(),
        caFingerprint: issued.caFingerprint,
      },
      { signal, replaceIdentity },
    );
  }

  async reject(idOrDeviceId: string): Promise<PairingRequestRecord> {
    return this.registry.reject(this.pending(idOrDeviceId).requestId);
  }

  private pending(idOrDeviceId: string): PairingRequestRecord {
    const request = this.registry.findRequest(idOrDeviceId);
    if (request === undefined || request.state !== 'pending_approval') {
      throw new PalyraError(
        'PALYRA_E_REQUEST_NOT_FOUND',
        `no pending pairing request "${idOrDeviceId}": list them with palyrad nodes pending`,
      );
    }
    return request;
  }
}
