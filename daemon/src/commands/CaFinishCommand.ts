import { Command, Option } from 'clipanion';
import { displayText } from '@palyra/shared/text';
import { DaemonCommand } from './DaemonCommand.js';
import { caStatusDocument } from './caStatusOutput.js';

export class CaFinishCommand extends DaemonCommand {
  static override paths = [['ca', 'finish']];
  static override usage = Command.Usage({
    description: 'End a CA rotation: retire the old CA once no registered node depends on it',
    details: `
      Refused with PALYRA_E_CA_IN_USE, naming the nodes, while a registered node holds a
      certificate of the old CA or does not trust the new one. --force retires it anyway: the
      certificates of the old CA are revoked and the nodes listed as cut off must pair again.
      Afterwards the old CA is trusted nowhere and nodes are sent the new bundle.
    `,
    examples: [
      ['Finish the rotation', 'palyrad ca finish'],
      ['Finish it even if nodes are left behind', 'palyrad ca finish --force'],
    ],
  });

  force = Option.Boolean('--force', false, { description: 'Retire the old CA even if nodes depend on it (they are cut off)' });
  json = Option.Boolean('--json', false, { description: 'Print the result as JSON' });

  async execute(): Promise<number> {
    const result = await this.withClient((client) => client.finishCaRotation(this.force));
    const cutOff = result.cutOff.map((node) => ({
      deviceId: node.deviceId,
      name: node.name,
      holdsOldCertificate: node.holdsOldCertificate,
      lacksTrust: node.lacksTrust,
    }));
    if (this.json) {
      this.printJson({ retired: result.retiredFingerprint, cutOff, ...(result.status === null ? {} : { status: caStatusDocument(result.status) }) });
      return 0;
    }
    this.print(`CA ${result.retiredFingerprint} retired: it is no longer trusted`);
    for (const node of cutOff) {
      const why = [node.holdsOldCertificate ? 'its certificate of the old CA is revoked' : '', node.lacksTrust ? 'it does not trust the new CA' : ''].filter(Boolean).join('; ');
      this.print(`  cut off: ${displayText(node.name)} (${node.deviceId}): ${why}; pair it again`);
    }
    return 0;
  }
}
