import { PalyraError } from '@palyra/shared/errors';
import type { Logger } from '@palyra/shared/logging';
import type { NodeRegistry } from '../registry/index.js';
import type { PairingRequestRecord } from '../registry/types.js';
import { autoApproves, type AutoApproveMode } from './autoApprovePolicy.js';
import type { PairingDecisions } from './PairingDecisions.js';

export interface AutoApproverOptions {
  mode: AutoApproveMode;
  registry: NodeRegistry;
  decisions: PairingDecisions;
  logger?: Logger;
}

/**
 * The `--auto-approve` policy at work: approves a new pending request whose method the policy
 * covers, through the same PairingDecisions.approve an operator's approval takes (CSR checks,
 * signing, registry, events, approvals feed). Requests it does not approve stay pending for an
 * operator. Every approval is logged with the device, method and SAS (never a PIN or token).
 */
export class AutoApprover {
  private unsubscribe: (() => void) | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: AutoApproverOptions) {}

  start(): void {
    if (this.unsubscribe !== undefined || this.options.mode === 'off') return;
    this.unsubscribe = this.options.registry.onRequestChange((request) => {
      if (request.state !== 'pending_approval' || !autoApproves(this.options.mode, request.method)) return;
      // Not inside the registry's listener call: approving is another registry mutation.
      const run = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.approve(request));
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    });
  }

  /** Stops approving; waits for approvals already under way. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await Promise.all([...this.inFlight]);
  }

  private async approve(request: Readonly<PairingRequestRecord>): Promise<void> {
    const { registry, decisions, logger } = this.options;
    const fields = {
      requestId: request.requestId,
      deviceId: request.deviceId,
      nodeName: request.name,
      platform: request.platform,
      method: request.method,
      sas: request.sas,
      remoteAddress: request.remoteAddress,
      repair: request.repair,
    };
    // An identity change (a registered device id under another key) would take that node's
    // place: only an operator decides that (nodes approve --replace-identity). The policy
    // never passes replaceIdentity, so the registry refuses it even if this check raced.
    const change = registry.identityChangeOf(request);
    if (change !== undefined) {
      logger?.warn(
        { ...fields, identityChange: true, ...change },
        'pairing request not auto-approved: its device id belongs to a registered node with another identity key; an operator must decide',
      );
      return;
    }
    try {
      await decisions.approve(request.requestId);
      logger?.warn(fields, 'pairing request auto-approved (--auto-approve)');
    } catch (error) {
      const palyra = PalyraError.from(error);
      // Withdrawn or replaced meanwhile (the node went away): nothing to approve any more.
      if (palyra.code === 'PALYRA_E_IDENTITY_CHANGE') {
        logger?.warn({ ...fields, identityChange: true, errorCode: palyra.code }, 'pairing request not auto-approved: it became an identity change; an operator must decide');
        return;
      }
      if (palyra.code === 'PALYRA_E_REQUEST_NOT_FOUND') {
        logger?.info({ ...fields, errorCode: palyra.code }, 'pairing request gone before it could be auto-approved');
        return;
      }
      logger?.error({ ...fields, errorCode: palyra.code, error: palyra.message }, 'auto-approval failed; the request waits for an operator');
    }
  }
}
