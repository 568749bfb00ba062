import { PalyraError } from '@palyra/shared/errors';
import type { CertificateAuthority } from '../ca/index.js';
import type { NodeRegistry } from '../registry/index.js';
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
    private readonly certValidityDays: number,
  ) {}

  async approve(idOrDeviceId: string, { signal }: { signal?: AbortSignal } = {}): Promise<PairingRequestRecord> {
    const request = this.pending(idOrDeviceId);
    const issued = await this.ca.signNodeCsr({
      csrDer: Buffer.from(request.csr, 'base64'),
      deviceId: request.deviceId,
      validityDays: this.certValidityDays,
      signal,
    });
    return this.registry.approve(request.requestId, {
      certDer: Buffer.from(issued.certDer).toString('base64'),
      fingerprint: issued.fingerprint,
      notAfter: issued.notAfter.toISOString(),
    });
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
