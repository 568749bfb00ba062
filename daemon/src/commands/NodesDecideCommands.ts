import { Command, Option } from 'clipanion';
import { displayText } from '@palyra/shared/text';
import { DaemonCommand } from './DaemonCommand.js';

abstract class NodesDecideCommand extends DaemonCommand {
  id = Option.String({ name: 'requestId|deviceId' });
  json = Option.Boolean('--json', false, { description: 'Print the decided request as JSON' });
  protected abstract readonly approve: boolean;
  /** Approve only: the operator accepts that the request replaces a registered node's identity key. */
  protected get replaceIdentity(): boolean {
    return false;
  }

  async execute(): Promise<number> {
    const decided = await this.withClient((client) => client.decide(this.id, this.approve, { replaceIdentity: this.replaceIdentity }));
    if (this.json) {
      this.printJson({
        requestId: decided.requestId,
        deviceId: decided.deviceId,
        name: decided.name,
        state: decided.state,
        identityChange: decided.identityChange,
      });
    } else {
      const replaced = decided.identityChange && decided.state === 'approved' ? `; identity key ${decided.previousKeyFingerprint} replaced by ${decided.keyFingerprint}` : '';
      this.print(`${decided.state === 'approved' ? 'approved' : 'rejected'} ${displayText(decided.name)} (device ${decided.deviceId}, request ${decided.requestId})${replaced}`);
    }
    return 0;
  }
}

export class NodesApproveCommand extends NodesDecideCommand {
  static override paths = [['nodes', 'approve']];
  static override usage = Command.Usage({
    description: 'Approve a pending pairing request: the node gets its certificate',
    details: `
      A request that claims the device id of a registered node under another identity key
      (shown as IDENTITY CHANGE by \`palyrad nodes pending\`) replaces that node: its
      certificate is revoked and its agent refused from then on. Such a request is approved
      only with --replace-identity, and only when that device really got a new identity.
    `,
    examples: [
      ['Approve a request', 'palyrad nodes approve 01J9Z3B4C5D6E7F8G9H0JKMNPQ'],
      ['Approve an identity change', 'palyrad nodes approve 01J9Z3B4C5D6E7F8G9H0JKMNPQ --replace-identity'],
    ],
  });
  protected readonly approve = true;
  replace = Option.Boolean('--replace-identity', false, {
    description: 'Approve even though the request replaces the identity key of a registered node with the same device id',
  });

  protected override get replaceIdentity(): boolean {
    return this.replace;
  }
}

export class NodesRejectCommand extends NodesDecideCommand {
  static override paths = [['nodes', 'reject']];
  static override usage = Command.Usage({
    description: 'Reject a pending pairing request',
    examples: [['Reject a request', 'palyrad nodes reject 01J9Z3B4C5D6E7F8G9H0JKMNPQ']],
  });
  protected readonly approve = false;
}
