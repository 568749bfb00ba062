import { Command, Option } from 'clipanion';
import { PalyraError } from '@palyra/shared/errors';
import { displayText } from '@palyra/shared/text';
import { DaemonCommand } from './DaemonCommand.js';
import { nodeRow } from './nodeOutput.js';

export class NodesDescribeCommand extends DaemonCommand {
  static override paths = [['nodes', 'describe']];
  static override usage = Command.Usage({
    description: 'Everything known about one node: labels and their source, capabilities, certificate, transport and health, last dispatches',
    examples: [['By name', 'palyrad nodes describe web-1'], ['As JSON', 'palyrad nodes describe 01J9Z3B4 --json']],
  });

  node = Option.String({ name: 'node' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });
  dispatches = Option.String('--dispatches', { description: 'How many of its last dispatches (default 10, at most 100)' });

  async execute(): Promise<number> {
    const count = parseCount(this.dispatches);
    const { node, lastDispatches, transportDetail } = await this.withClient((client) => client.describeNode(this.node, count === undefined ? {} : { dispatches: count }));
    const row = nodeRow(node);
    const labels = Object.entries(node.labels).map(([key, value]) => ({
      key,
      value,
      source: Object.prototype.hasOwnProperty.call(node.operatorLabels, key) ? ('operator' as const) : ('node' as const),
    }));
    const capabilities = node.capabilityDetails.map((c) => ({
      id: c.id,
      kind: c.kind,
      plugin: c.plugin,
      description: c.description,
      inputSchema: parseSchema(c.inputSchemaJson),
      outputSchema: parseSchema(c.outputSchemaJson),
    }));
    const dispatches = lastDispatches.map((d) => ({ dispatchId: d.dispatchId, capability: d.capability, state: d.state, createdAt: d.createdAt, finishedAt: d.finishedAt, caller: d.caller }));
    if (this.json) {
      this.printJson({ ...row, labels, capabilities, transportDetail, lastDispatches: dispatches });
      return 0;
    }
    this.print(`${displayText(node.name)} (${node.deviceId})`);
    this.print(`  status      ${node.status}, ${displayText(transportDetail)}`);
    this.print(`  platform    ${displayText(node.platform)}  host ${displayText(node.hostname)}  agent ${displayText(node.agentVersion)}`);
    this.print(`  health      ${row.healthRttMs === null ? 'no ping yet' : `rtt ${row.healthRttMs.toFixed(2)} ms, clock skew ${row.clockSkewMs ?? 0} ms, at ${node.lastHealthAt}`}`);
    this.print(`  certificate ${node.certFingerprint}  ${node.certState}  issued ${row.certIssuedAt ?? 'unknown'}  expires ${node.certExpiresAt}`);
    this.print(`  labels      ${labels.length === 0 ? 'none' : labels.map((l) => displayText(`${l.key}=${l.value} (${l.source})`)).join(', ')}`);
    this.print(`  capabilities`);
    for (const c of capabilities) this.print(`    ${displayText(c.id)}  ${displayText(c.kind)}${c.plugin === '' ? '' : `  plugin ${displayText(c.plugin)}`}${c.description === '' ? '' : `  ${displayText(c.description)}`}`);
    this.print(`  last dispatches${dispatches.length === 0 ? ' none' : ''}`);
    for (const d of dispatches) this.print(`    ${d.dispatchId}  ${displayText(d.capability)}  ${d.state}  ${d.createdAt}`);
    return 0;
  }
}

function parseCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1 || count > 100) throw new PalyraError('PALYRA_E_USAGE', `--dispatches must be a whole number from 1 to 100, not "${text.slice(0, 32)}"`);
  return count;
}

/** A schema as the node sent it: JSON, else kept as the text (it is shown, never evaluated). */
function parseSchema(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
