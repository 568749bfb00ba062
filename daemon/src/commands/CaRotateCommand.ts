import { Command, Option } from 'clipanion';
import { DaemonCommand } from './DaemonCommand.js';
import { caLines, caStatusDocument } from './caStatusOutput.js';

export class CaRotateCommand extends DaemonCommand {
  static override paths = [['ca', 'rotate']];
  static override usage = Command.Usage({
    description: 'Begin a CA rotation: a new CA signs node certificates; both CAs are trusted until ca finish',
    details: `
      Online nodes receive the trust bundle (old and new CA) and renew onto the new CA at once;
      offline nodes get both when they reconnect. The server certificate switches to the new
      CA once every registered node trusts it. Fails with PALYRA_E_CA_ROTATION_IN_PROGRESS
      while an earlier rotation is not finished.
    `,
    examples: [['Rotate the CA', 'palyrad ca rotate']],
  });

  json = Option.Boolean('--json', false, { description: 'Print the CA status as JSON' });

  async execute(): Promise<number> {
    const status = await this.withClient((client) => client.rotateCa());
    if (this.json) {
      this.printJson(caStatusDocument(status));
      return 0;
    }
    const signing = status.cas.find((ca) => ca.role === 'signing');
    this.print(`CA rotation begun: new signing CA ${signing?.fingerprint ?? '?'}; follow it with palyrad ca status, end it with palyrad ca finish`);
    for (const line of caLines(status)) this.print(line);
    return 0;
  }
}
