import { Command, Option } from 'clipanion';
import { displayText } from '@palyra/shared/text';
import { DaemonCommand } from './DaemonCommand.js';

abstract class NodesDecideCommand extends DaemonCommand {
  id = Option.String({ name: 'requestId|deviceId' });
  json = Option.Boolean('--json', false, { description: 'Print the decided request as JSON' });
  protected abstract readonly approve: boolean;

  async execute(): Promise<number> {
    const decided = await this.withClient((client) => client.decide(this.id, this.approve));
    if (this.json) {
      this.printJson({ requestId: decided.requestId, deviceId: decided.deviceId, name: decided.name, state: decided.state });
    } else {
      this.print(`${decided.state === 'approved' ? 'approved' : 'rejected'} ${displayText(decided.name)} (device ${decided.deviceId}, request ${decided.requestId})`);
    }
    return 0;
  }
}

export class NodesApproveCommand extends NodesDecideCommand {
  static override paths = [['nodes', 'approve']];
  static override usage = Command.Usage({
    description: 'Approve a pending pairing request: the node gets its certificate',
    examples: [['Approve a request', 'palyrad nodes approve 01J9Z3B4C5D6E7F8G9H0JKMNPQ']],
  });
  protected readonly approve = true;
}

export class NodesRejectCommand extends NodesDecideCommand {
  static override paths = [['nodes', 'reject']];
  static override usage = Command.Usage({
    description: 'Reject a pending pairing request',
    examples: [['Reject a request', 'palyrad nodes reject 01J9Z3B4C5D6E7F8G9H0JKMNPQ']],
  });
  protected readonly approve = false;
}
