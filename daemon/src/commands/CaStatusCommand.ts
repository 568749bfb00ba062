import { Command, Option } from 'clipanion';
import { DaemonCommand } from './DaemonCommand.js';
import { caLines, caStatusDocument } from './caStatusOutput.js';

export class CaStatusCommand extends DaemonCommand {
  static override paths = [['ca', 'status']];
  static override usage = Command.Usage({
    description: 'Show the CAs: role, expiry, how many nodes trust each and hold its certificates, and the server certificate\'s CA',
    examples: [['CA status as JSON', 'palyrad ca status --json']],
  });

  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    const status = await this.withClient((client) => client.caStatus());
    if (this.json) {
      this.printJson(caStatusDocument(status));
      return 0;
    }
    this.print(status.rotating ? 'CA rotation in progress' : 'no CA rotation in progress');
    for (const line of caLines(status)) this.print(line);
    if (status.rotating) {
      const signing = status.cas.find((ca) => ca.role === 'signing');
      if (signing !== undefined && status.serverCaFingerprint !== signing.fingerprint) {
        this.print(`  the server certificate switches to the new CA once all ${status.nodesTotal} nodes trust it (${signing.nodesTrusting} do)`);
      }
    }
    return 0;
  }
}
