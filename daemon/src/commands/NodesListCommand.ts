import { Command, Option } from 'clipanion';
import { displayText } from '@palyra/shared/text';
import { CLOCK_SKEW_WARNING_MS } from '../health/NodeHealth.js';
import { DaemonCommand } from './DaemonCommand.js';
import { displayNodeNames } from './nodeNames.js';
import { nodeRow } from './nodeOutput.js';

export class NodesListCommand extends DaemonCommand {
  static override paths = [['nodes', 'list']];
  static override usage = Command.Usage({
    description: 'List registered nodes',
    examples: [
      ['As JSON', 'palyrad nodes list --json'],
      ['Only some nodes (docs/cli.md "Selectors")', 'palyrad nodes list -l "env=prod,role in (web,api),status=online"'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'Print one JSON array' });
  selector = Option.String('-l,--selector', { description: 'Only the nodes matching this selector (labels, name, deviceId, platform, status, capability)' });

  async execute(): Promise<number> {
    const nodes = await this.withClient((client) => client.listNodes(this.selector === undefined ? {} : { selector: this.selector }));
    const rows = nodes.map(nodeRow);
    if (this.json) {
      this.printJson(rows);
      return 0;
    }
    if (rows.length === 0) {
      this.print(this.selector === undefined ? 'no nodes registered: pair one with palyrad pairing code --method pin' : 'no node matches the selector');
      return 0;
    }
    const names = displayNodeNames(rows);
    for (const n of rows) {
      const health = n.transport === null ? '' : `  ${n.transport}${n.healthRttMs === null ? '' : ` rtt ${n.healthRttMs.toFixed(2)} ms`}`;
      const skew = n.clockSkewMs !== null && Math.abs(n.clockSkewMs) > CLOCK_SKEW_WARNING_MS ? `  ${clockSkewWarning(n.clockSkewMs)}` : '';
      const labels = Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',');
      this.print(`${n.deviceId}  ${n.status.padEnd(7)}  ${names.get(n.deviceId)} (${displayText(n.platform)})${labels === '' ? '' : `  ${displayText(labels)}`}${health}${skew}  last seen ${n.lastSeen ?? 'never'}  cert ${n.certState} until ${n.certExpiresAt}${n.certRenewedAt === null ? '' : ` (renewed ${n.certRenewedAt})`}`);
    }
    return 0;
  }
}

/** "warning: clock 31.0 s ahead" (or behind): deadlines no longer depend on it, but logs and certificate times do. */
function clockSkewWarning(skewMs: number): string {
  return `warning: clock ${(Math.abs(skewMs) / 1000).toFixed(1)} s ${skewMs > 0 ? 'ahead' : 'behind'}`;
}
