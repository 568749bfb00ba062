import { PalyraError } from '@palyra/shared/errors';
import type { CertificateAuthority } from '../ca/index.js';
import { identityChangeError, type NodeRegistry } from '../registry/index.js';
import type { PairingRequestRecord } from '../registry/types.js';
import type { Logger } from '@palyra/shared/logging';
import type { AuditActor, AuditRecord, AuditSink } from '../audit/types.js';

/** Who decides: an operator (the admin caller) or, by default, the daemon itself (auto-approval). */
export interface DecidedBy {
  actor: AuditActor;
  remoteAddress?: string;
}

const DAEMON: DecidedBy = { actor: { kind: 'daemon' } };

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
    /** Each decision is recorded here before approve/reject return (absent: not recorded). */
    private readonly audit?: AuditSink,
    private readonly logger?: Logger,
  ) {}

  /**
   * `replaceIdentity`: the operator approves an identity change (the request claims a
   * registered device id under another key); without it such a request is refused with
   * PALYRA_E_IDENTITY_CHANGE and stays pending.
   */
  async approve(
    idOrDeviceId: string,
    { signal, replaceIdentity = false, by = DAEMON }: { signal?: AbortSignal; replaceIdentity?: boolean; by?: DecidedBy } = {},
  ): Promise<PairingRequestRecord> {
    return this.recorded('pairing.approve', idOrDeviceId, by, async (request) => {
      // Before approving: once approved the node holds the new key and it no longer looks like a change.
      const change = this.registry.identityChangeOf(request);
      const approved = await this.approveNow(request, { signal, replaceIdentity });
      return { approved, change };
    });
  }

  private async approveNow(request: PairingRequestRecord, { signal, replaceIdentity }: { signal?: AbortSignal; replaceIdentity: boolean }): Promise<PairingRequestRecord> {
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

  async reject(idOrDeviceId: string, { by = DAEMON }: { by?: DecidedBy } = {}): Promise<PairingRequestRecord> {
    return this.recorded('pairing.reject', idOrDeviceId, by, async (request) => ({ approved: await this.registry.reject(request.requestId) }));
  }

  /**
   * Runs a decision and records it before returning: the decision (ok, or failed with its
   * code), and for an approval the certificate issued and any identity change. When the entry
   * cannot be written the decision stands (the node is registered) and the caller gets
   * PALYRA_E_STATE_IO saying it was not recorded.
   */
  private async recorded(
    action: 'pairing.approve' | 'pairing.reject',
    idOrDeviceId: string,
    by: DecidedBy,
    decide: (request: PairingRequestRecord) => Promise<{ approved: PairingRequestRecord; change?: unknown }>,
  ): Promise<PairingRequestRecord> {
    const base = { actor: by.actor, ...(by.remoteAddress === undefined ? {} : { remoteAddress: by.remoteAddress }) };
    let request: PairingRequestRecord | undefined;
    let result: { approved: PairingRequestRecord; change?: unknown };
    try {
      request = this.pending(idOrDeviceId);
      result = await decide(request);
    } catch (error) {
      const code = PalyraError.from(error).code;
      await this.audit
        ?.append({ ...base, action, outcome: 'failed', errorCode: code, ...(request === undefined ? { details: { request: idOrDeviceId } } : { node: request.deviceId, details: { requestId: request.requestId } }) })
        // The decision's own error is the answer; the lost entry is logged.
        .catch((auditError: unknown) => this.logger?.error({ action, error: (auditError as Error).message }, 'audit: the entry of a failed decision could not be written'));
      throw error;
    }
    const decided = result.approved;
    const records: AuditRecord[] = [{ ...base, action, outcome: 'ok', node: decided.deviceId, details: { requestId: decided.requestId, method: decided.method, name: decided.name } }];
    if (action === 'pairing.approve') {
      const node = this.registry.getNode(decided.deviceId);
      if (result.change !== undefined) records.push({ ...base, action: 'identity.change', outcome: 'ok', node: decided.deviceId, details: { requestId: decided.requestId } });
      records.push({
        ...base,
        action: 'cert.issue',
        outcome: 'ok',
        node: decided.deviceId,
        details: { fingerprint: node?.certFingerprint ?? '', notAfter: node?.certExpiresAt ?? '' },
      });
    }
    // Appended together: one write and one fdatasync (group commit).
    await Promise.all(records.map((record) => this.audit?.append(record)));
    return decided;
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
