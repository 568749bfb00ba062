import { Command, Option } from 'clipanion';
import { PalyraError } from '@palyra/shared/errors';
// The protocol constants alone: the package index brings QUIC and X.509 (node-forge) along.
import { DAEMON_EVENT_TYPES, type DaemonEvent, type DaemonEventType } from '@palyra/shared/quic/protocol';
import { displayText } from '@palyra/shared/text';
import { describeCertificateEvent } from '../certificates/certificateText.js';
import { DaemonCommand } from './DaemonCommand.js';

export class EventsCommand extends DaemonCommand {
  static override paths = [['events']];
  static override usage = Command.Usage({
    description: 'Follow the daemon’s events as they happen',
    details: `
      Prints dispatch state changes (\`dispatch.state\`), nodes going online and offline
      (\`node.online\`, \`node.offline\`), pairing requests (\`pairing.request\`) and node
      certificates renewed, expiring or expired (\`cert.renewed\`, \`cert.expiring\`,
      \`cert.expired\`) until interrupted. \`--type\` (repeatable) keeps only those types.
      With \`--json\`, each event is one JSON object on its own line (JSON Lines), as it
      arrives.
    `,
    examples: [
      ['Everything', 'palyrad events'],
      ['Only nodes going offline, as JSON Lines', 'palyrad events --type node.offline --json'],
      ['Certificates that need attention', 'palyrad events --type cert.expiring --type cert.expired'],
    ],
  });

  types = Option.Array('--type', [], { description: `Event type to keep (${DAEMON_EVENT_TYPES.join(', ')}); repeatable` });
  json = Option.Boolean('--json', false, { description: 'One JSON object per event, one per line' });

  async execute(): Promise<number> {
    for (const type of this.types) {
      if (!(DAEMON_EVENT_TYPES as readonly string[]).includes(type)) {
        throw new PalyraError('PALYRA_E_USAGE', `--type "${type}" is not an event type: use ${DAEMON_EVENT_TYPES.join(', ')}`);
      }
    }
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await this.withClient(async (client) => {
        for await (const event of client.streamEvents({ types: this.types as DaemonEventType[], signal: controller.signal })) {
          this.print(this.json ? JSON.stringify(event) : describe(event));
        }
      });
      return 0;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }
}

function describe(event: DaemonEvent): string {
  switch (event.type) {
    case 'dispatch.state':
      return `${event.at}  dispatch ${event.dispatchId}  ${event.capability} on ${event.deviceId}  ${event.state}${event.error ? `  ${event.error.code}: ${displayText(event.error.message)}` : ''}`;
    case 'node.online':
    case 'node.offline':
      return `${event.at}  node ${event.deviceId} (${displayText(event.name)})  ${event.type === 'node.online' ? 'online' : 'offline'}`;
    case 'pairing.request':
      return `${event.at}  pairing request ${event.requestId}  ${displayText(event.name)} (${displayText(event.platform)})  ${event.state}`;
    case 'cert.renewed':
    case 'cert.expiring':
    case 'cert.expired':
      return `${event.at}  ${describeCertificateEvent(event)}`;
  }
}
