import { Command, Option } from 'clipanion';
import { DaemonCommand } from './DaemonCommand.js';

export class StatusCommand extends DaemonCommand {
  static override paths = [['status']];
  static override usage = Command.Usage({
    description: 'Show whether the daemon runs, its addresses, CA fingerprint and node counts',
    examples: [['Status as JSON', 'palyrad status --json']],
  });

  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    const status = await this.withClient((client) => client.status());
    const document = {
      running: true,
      version: status.version,
      pid: status.pid,
      grpc: status.grpcAddress,
      quic: status.quicAddress,
      admin: status.adminSocket,
      caFingerprint: status.caFingerprint,
      stateDir: status.stateDir,
      startedAt: status.startedAt,
      nodes: { online: status.nodesOnline, offline: status.nodesOffline, pending: status.requestsPending },
      autoApprove: status.autoApprove || 'off',
    };
    if (this.json) {
      this.printJson(document);
      return 0;
    }
    this.print(`palyrad ${document.version} running (pid ${document.pid}) since ${document.startedAt}`);
    this.print(`  grpc   ${document.grpc}`);
    this.print(`  quic   ${document.quic}`);
    this.print(`  admin  ${document.admin}`);
    this.print(`  ca     ${document.caFingerprint}`);
    this.print(`  nodes  ${document.nodes.online} online, ${document.nodes.offline} offline, ${document.nodes.pending} pending approval`);
    if (document.autoApprove !== 'off') {
      this.print(`  auto-approve ${document.autoApprove}: ${document.autoApprove === 'all' ? 'PIN and QR' : 'QR'} pairings are admitted without an operator`);
    }
    return 0;
  }
}
