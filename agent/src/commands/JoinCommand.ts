import { Command, Option } from 'clipanion';
import { parseHostPort } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import type { JoinSecret } from '../pairing/joinDaemon.js';
import { AgentCommand } from './AgentCommand.js';

export class JoinCommand extends AgentCommand {
  static override paths = [['join']];
  static override usage = Command.Usage({
    description: 'Pair this node with a daemon',
    details: `
      Runs the PIN pairing handshake, prints the confirmation code (compare it with the one
      \`palyrad nodes pending\` shows) and waits until an operator approves. Exits 0 once the
      identity is stored; non-zero when the PIN is wrong, expired or burned, or the request is
      rejected.

      The pairing code (a PIN or a QR payload) comes from \`--pin -\` / \`--qr -\` (one line
      of stdin), else \`--pin N\` / \`--qr URI\`, else PALYRA_PAIRING_CODE (six digits are a
      PIN, a palyra:// URI a QR payload), else a prompt that does not echo when stdin is a
      terminal. A code on the command line works but other local users see it in \`ps\` while
      join waits: a warning says so.

      The daemon address comes from \`--daemon\`, else the QR payload (it names the daemon whose
      CA it pins), else PALYRA_DAEMON, else the config file's \`daemon\` key.
    `,
    examples: [
      ['Join with a PIN typed at a hidden prompt', 'palyra-node join --daemon 10.0.0.5:7443'],
      ['Join with a PIN read from stdin', 'printf "%s\\n" "$PIN" | palyra-node join --pin - --daemon 10.0.0.5:7443'],
      ['Join with a QR payload from the environment', 'PALYRA_PAIRING_CODE="$URI" palyra-node join'],
      ['Join with a PIN on the command line (visible to other local users)', 'palyra-node join --pin 123456 --daemon 10.0.0.5:7443'],
    ],
  });

  pin = Option.String('--pin', {
    description: 'The 6-digit PIN from palyrad pairing code --method pin; - reads it from stdin (on the command line, other local users see it)',
  });
  qr = Option.String('--qr', {
    description:
      'The palyra://pair URI from palyrad pairing code --method qr (carries the address and pins the CA); - reads it from stdin',
  });
  daemon = Option.String('--daemon', { description: "Daemon HOST:PORT (else the QR payload's, PALYRA_DAEMON, the config file's daemon)" });
  name = Option.String('--name', { description: 'Name shown to operators (default: the host name)' });
  json = Option.Boolean('--json', false, { description: 'Print the result as one JSON object' });

  async execute(): Promise<number> {
    const { readPairingCode, PAIRING_CODE_ENV } = await import('../pairing/pairingCode.js');
    // Read before anything else may prompt (the vault's passphrase).
    const { code, onArgv } = await readPairingCode({
      pin: this.pin,
      qr: this.qr,
      env: process.env,
      stdin: this.context.stdin as NodeJS.ReadStream,
      stderr: this.context.stderr as NodeJS.WriteStream,
    });
    // Pairing (gRPC, CPace, X.509) loads here, not at the top: every other command would pay for it.
    const [{ ensurePrivateDir }, { parseQrUri }, { joinDaemon }] = await Promise.all([
      import('@palyra/shared/fs'),
      import('@palyra/shared/pairing'),
      import('../pairing/joinDaemon.js'),
    ]);
    let secret: JoinSecret;
    let fromQr: string | undefined;
    if (code.method === 'qr') {
      const payload = parseQrUri(code.uri);
      secret = { method: 'qr', codeId: payload.codeId, token: payload.token, caFingerprint: payload.caFingerprint };
      fromQr = payload.daemon;
    } else {
      secret = { method: 'pin', pin: code.pin };
    }
    const { address: daemonAddress, source } = await this.daemonAddress(fromQr);
    parseHostPort(daemonAddress, source);
    const store = await this.identityStore();
    const existing = await store.load();
    if (existing !== undefined) {
      throw new PalyraError('PALYRA_E_ALREADY_JOINED', `this node already joined ${existing.daemonAddress} as ${existing.deviceId}: run palyra-node leave first`);
    }
    await ensurePrivateDir(this.resolvedStateDir);
    // Where the identity will live is settled before pairing: never pair, then fail to store.
    const vault = await store.prepare();
    if (vault.fallbackReason !== undefined) {
      this.context.stderr.write(`palyra-node: ${vault.fallbackReason}; the identity goes into the ${vault.description}\n`);
    }

    if (onArgv !== undefined) {
      // After every usage check: a failing command still prints one error line, nothing else.
      this.context.stderr.write(
        `palyra-node: warning: ${onArgv} puts the pairing code on the command line, where other local users can read it (ps, /proc) ` +
          `while join waits for approval; next time use ${onArgv} - (stdin), ${PAIRING_CODE_ENV}, or no flag in a terminal (a hidden prompt)\n`,
      );
    }
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const identity = await joinDaemon({
        daemonAddress,
        secret,
        name: this.name,
        signal: controller.signal,
        onConfirmed: ({ sas, requestId, repair }) => {
          const target = this.json ? this.context.stderr : this.context.stdout;
          target.write(`confirmation code ${sas} (request ${requestId}${repair ? ', re-pairing a known device' : ''})\n`);
          target.write('waiting for approval\n');
        },
      });
      await store.save(identity);
      if (this.json) {
        this.printJson({
          deviceId: identity.deviceId,
          name: identity.name,
          daemon: identity.daemonAddress,
          caFingerprint: identity.caFingerprint,
          certExpiresAt: identity.certExpiresAt,
          vault: store.backendInfo ?? vault,
        });
      } else {
        this.print(`approved: joined ${identity.daemonAddress} as ${identity.deviceId} (certificate until ${identity.certExpiresAt})`);
        this.print(`identity stored in ${store.backend}`);
        this.print('start the agent with: palyra-node run');
      }
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }

  /**
   * The daemon to pair with, first match wins: --daemon, the QR payload's address, PALYRA_DAEMON,
   * the config file's `daemon`. The QR payload ranks with the flag, above the standing defaults:
   * it is this join's own input and pins that daemon's CA, so another address would fail anyway.
   * `source` names where it came from, for the usage error of a malformed one.
   */
  private async daemonAddress(fromQr: string | undefined): Promise<{ address: string; source: string }> {
    if (this.daemon !== undefined) return { address: this.daemon, source: '--daemon' };
    if (fromQr !== undefined) return { address: fromQr, source: 'the QR payload\'s daemon' };
    const fromEnv = process.env.PALYRA_DAEMON;
    if (fromEnv !== undefined && fromEnv !== '') return { address: fromEnv, source: 'PALYRA_DAEMON' };
    // Loaded only when needed: a join given its address does not depend on the config file.
    const { loadAgentConfig } = await import('../config/index.js');
    const { config, filepath } = await loadAgentConfig({ explicitPath: this.config });
    if (config.daemon !== undefined && filepath !== null) return { address: config.daemon, source: `${filepath}: daemon` };
    throw new PalyraError('PALYRA_E_USAGE', "give the daemon address: --daemon HOST:PORT, PALYRA_DAEMON, or the config file's daemon key");
  }
}
