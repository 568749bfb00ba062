import { Command, Option } from 'clipanion';
import { formatHostPort, parseDuration, parseHostPort } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import { DAEMON_VERSION } from '../version.js';
import { DaemonCommand } from './DaemonCommand.js';
import { checkAgentPackage, defaultAgentPackage, joinCommand, unreachableHost } from './joinCommand.js';

export class PairingCodeCommand extends DaemonCommand {
  static override paths = [['pairing', 'code'], ['nodes', 'pairing-code']];
  static override usage = Command.Usage({
    description: 'Mint a single-use pairing code',
    details: `
      A PIN is six digits, valid once, for --ttl (default 10m), burned after 5 failed
      attempts. Only one PIN is active at a time: minting a new one retires the previous
      (a node that still joins with it is told so, without spending the new PIN's attempts).
      Codes live in the daemon's memory: a restart of the daemon ends them.
      Beside the code it prints the one command to run on the node's host: install the agent
      with npm when \`palyra-node\` is missing (\`--agent-package\`, default
      \`@palyra/agent@<this daemon's version>\`), then join with the code in PALYRA_PAIRING_CODE
      (never in argv) and the daemon's address (\`--address\` or PALYRA_JOIN_ADDRESS, default the address the daemon
      advertises: its --listen host, or this host's name when it listens on every interface).
      \`--json\` carries it as \`joinCommand\`.

      A QR code carries the daemon address, the CA fingerprint (the node pins it) and a
      128-bit single-use token; it is shown as a QR code and as a URI for
      \`palyra-node join --qr <URI>\`.
    `,
    examples: [
      ['A PIN valid for 10 minutes', 'palyrad pairing code --method pin'],
      ['A PIN valid for 2 minutes, as JSON', 'palyrad pairing code --method pin --ttl 2m --json'],
      ['A QR code', 'palyrad pairing code --method qr'],
      ['The join command with the address nodes reach the daemon at', 'palyrad pairing code --address palyra.example.net:7443'],
    ],
  });

  method = Option.String('--method', 'pin', { description: 'pin or qr' });
  ttl = Option.String('--ttl', { description: 'How long the code stays valid (default 10m)' });
  address = Option.String('--address', { description: "HOST:PORT the printed join command dials (env PALYRA_JOIN_ADDRESS; default: the daemon's advertised address)" });
  agentPackage = Option.String('--agent-package', { description: 'What the join command installs with npm install -g when palyra-node is missing (env PALYRA_AGENT_PACKAGE; default @palyra/agent@<daemon version>)' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    if (this.method !== 'pin' && this.method !== 'qr') {
      throw new PalyraError('PALYRA_E_USAGE', `--method must be pin or qr, not "${this.method}"`);
    }
    const method = this.method;
    const ttlMs = this.ttl === undefined ? undefined : parseDuration(this.ttl, '--ttl');
    const addressText = nonEmpty(this.address) ?? nonEmpty(process.env.PALYRA_JOIN_ADDRESS);
    const address = addressText === undefined ? undefined : formatHostPort(parseHostPort(addressText, this.address !== undefined ? '--address' : 'PALYRA_JOIN_ADDRESS'));
    const agentPackageChoice = nonEmpty(this.agentPackage) ?? nonEmpty(process.env.PALYRA_AGENT_PACKAGE);
    if (agentPackageChoice !== undefined) checkAgentPackage(agentPackageChoice, nonEmpty(this.agentPackage) !== undefined ? '--agent-package' : 'PALYRA_AGENT_PACKAGE');
    const agentPackage = agentPackageChoice ?? defaultAgentPackage(DAEMON_VERSION);
    const code = await this.withClient((client) => client.createPairingCode({ method, ttlMs }));
    const command = joinCommand({
      method: code.method === 'qr' ? 'qr' : 'pin',
      code: code.code,
      uri: code.uri,
      // A QR payload names the daemon itself; only an explicit --address overrides it.
      daemon: address ?? (code.method === 'qr' ? undefined : code.daemon),
      agentPackage,
    });
    // What the remote host will dial: --address, else the daemon's own (also inside a QR URI).
    const dialed = address ?? code.daemon;
    const why = dialed === '' ? undefined : unreachableHost(hostOf(dialed));
    if (why !== undefined) {
      this.context.stderr.write(`warning: the join command dials ${dialed}, ${why} a remote host cannot reach: give the address nodes reach this daemon at with --address HOST:PORT (or PALYRA_JOIN_ADDRESS)\n`);
    }
    if (this.json) {
      this.printJson({
        method: code.method,
        code: code.code,
        expiresAt: code.expiresAt,
        daemon: code.daemon,
        caFingerprint: code.caFingerprint,
        uri: code.uri === '' ? null : code.uri,
        joinCommand: command,
      });
      return 0;
    }
    if (code.method === 'qr') {
      const { default: QRCode } = await import('qrcode');
      this.print(await QRCode.toString(code.uri, { type: 'terminal', small: true, errorCorrectionLevel: 'M' }));
      this.print(`valid until ${code.expiresAt}, single use; on the node (installs palyra-node when missing, then joins):`);
      this.print(`  ${command}`);
      return 0;
    }
    this.print(`PIN ${code.code}  (valid until ${code.expiresAt}, single use)`);
    this.print('on the node (installs palyra-node when missing, then joins):');
    this.print(`  ${command}`);
    if (code.supersededPrevious) this.context.stderr.write('note: the previous unused PIN is no longer valid\n');
    return 0;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The host of HOST:PORT; a malformed one is left for the node to report (the code is minted already). */
function hostOf(address: string): string {
  try {
    return parseHostPort(address, 'the daemon address').host;
  } catch {
    return address;
  }
}
