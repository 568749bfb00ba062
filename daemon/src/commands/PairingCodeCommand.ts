import { Command, Option } from 'clipanion';
import { parseDuration } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import { DaemonCommand } from './DaemonCommand.js';

export class PairingCodeCommand extends DaemonCommand {
  static override paths = [['pairing', 'code'], ['nodes', 'pairing-code']];
  static override usage = Command.Usage({
    description: 'Mint a single-use pairing code',
    details: `
      A PIN is six digits, valid once, for --ttl (default 10m), burned after 5 failed
      attempts. Only one PIN is active at a time: minting a new one retires the previous
      (a node that still joins with it is told so, without spending the new PIN's attempts).
      Codes live in the daemon's memory: a restart of the daemon ends them.
      Give it to the node: \`palyra-node join --pin <PIN> --daemon HOST:PORT\`.

      A QR code carries the daemon address, the CA fingerprint (the node pins it) and a
      128-bit single-use token; it is shown as a QR code and as a URI for
      \`palyra-node join --qr <URI>\`.
    `,
    examples: [
      ['A PIN valid for 10 minutes', 'palyrad pairing code --method pin'],
      ['A PIN valid for 2 minutes, as JSON', 'palyrad pairing code --method pin --ttl 2m --json'],
      ['A QR code', 'palyrad pairing code --method qr'],
    ],
  });

  method = Option.String('--method', 'pin', { description: 'pin or qr' });
  ttl = Option.String('--ttl', { description: 'How long the code stays valid (default 10m)' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    if (this.method !== 'pin' && this.method !== 'qr') {
      throw new PalyraError('PALYRA_E_USAGE', `--method must be pin or qr, not "${this.method}"`);
    }
    const method = this.method;
    const ttlMs = this.ttl === undefined ? undefined : parseDuration(this.ttl, '--ttl');
    const code = await this.withClient((client) => client.createPairingCode({ method, ttlMs }));
    if (this.json) {
      this.printJson({
        method: code.method,
        code: code.code,
        expiresAt: code.expiresAt,
        daemon: code.daemon,
        caFingerprint: code.caFingerprint,
        uri: code.uri === '' ? null : code.uri,
      });
      return 0;
    }
    if (code.method === 'qr') {
      const { default: QRCode } = await import('qrcode');
      this.print(await QRCode.toString(code.uri, { type: 'terminal', small: true, errorCorrectionLevel: 'M' }));
      this.print(`valid until ${code.expiresAt}, single use; on the node:`);
      this.print(`palyra-node join --qr '${code.uri}'`);
      return 0;
    }
    this.print(`PIN ${code.code}  (valid until ${code.expiresAt}, single use)`);
    this.print(`on the node: palyra-node join --pin ${code.code} --daemon ${code.daemon}`);
    if (code.supersededPrevious) this.context.stderr.write('note: the previous unused PIN is no longer valid\n');
    return 0;
  }
}
