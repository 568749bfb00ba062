import { Command, Option } from 'clipanion';
import { displayText } from '@palyra/shared/text';
import { DaemonCommand } from './DaemonCommand.js';

export class NodesPendingCommand extends DaemonCommand {
  static override paths = [['nodes', 'pending']];
  static override usage = Command.Usage({
    description: 'List pairing requests awaiting approval',
    details: `
      Check that the confirmation code (SAS) matches the one the node printed before approving.
      IDENTITY CHANGE marks a request that claims the device id of a registered node under
      another identity key (both key fingerprints shown): approving it replaces that node and
      needs \`palyrad nodes approve <requestId> --replace-identity\`.
    `,
    examples: [['As JSON', 'palyrad nodes pending --json']],
  });

  json = Option.Boolean('--json', false, { description: 'Print one JSON array' });

  async execute(): Promise<number> {
    const pending = await this.withClient((client) => client.listPending());
    const rows = pending.map((r) => ({
      requestId: r.requestId,
      deviceId: r.deviceId,
      name: r.name,
      platform: r.platform,
      hostname: r.hostname,
      remoteAddress: r.remoteAddress,
      sas: r.sas,
      requestedAt: r.requestedAt,
      expiresAt: r.expiresAt,
      repair: r.repair,
      identityChange: r.identityChange,
      keyFingerprint: r.keyFingerprint,
      previousKeyFingerprint: r.identityChange ? r.previousKeyFingerprint : null,
    }));
    if (this.json) {
      this.printJson(rows);
      return 0;
    }
    if (rows.length === 0) {
      this.print('no pairing requests awaiting approval');
      return 0;
    }
    for (const r of rows) {
      this.print(`${r.requestId}  sas ${r.sas}  ${displayText(r.name)} (${displayText(r.platform)}, ${displayText(r.hostname)})  device ${r.deviceId}${r.repair ? '  RE-PAIR of a known device' : ''}  requested ${r.requestedAt}`);
      if (r.identityChange) {
        this.print(
          `  !!! IDENTITY CHANGE: device ${r.deviceId} is registered with identity key ${r.previousKeyFingerprint ?? '?'}; ` +
            `this request brings another key ${r.keyFingerprint}. Approving replaces that node and revokes its certificate ` +
            `(palyrad nodes approve ${r.requestId} --replace-identity); reject it unless that device really got a new identity.`,
        );
      }
    }
    this.print(`approve with: palyrad nodes approve <requestId>`);
    return 0;
  }
}
