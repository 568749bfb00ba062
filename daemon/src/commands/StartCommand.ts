import { Command, Option } from 'clipanion';
import { formatErrorLine, parseDuration, parseHostPort, PalyraError } from '@palyra/shared';
import { Daemon } from '../Daemon.js';
import { DaemonCommand } from './DaemonCommand.js';

export class StartCommand extends DaemonCommand {
  static override paths = [['start']];
  static override usage = Command.Usage({
    description: 'Run the daemon in the foreground',
    details: `
      The first start creates the certificate authority in the state directory. When the
      daemon is ready it prints one line: \`palyrad ready grpc=HOST:PORT quic=... admin=SOCKET ca=SHA256\`.
      SIGINT or SIGTERM stop it cleanly.
    `,
    examples: [
      ['Listen on all interfaces, port 7443', 'palyrad start'],
      ['Loopback only, on a free port, JSON ready line', 'palyrad start --listen 127.0.0.1:0 --json'],
    ],
  });

  listen = Option.String('--listen', { description: 'gRPC TLS address HOST:PORT (env PALYRA_LISTEN; default 0.0.0.0:7443; port 0 picks a free port)' });
  quicListen = Option.String('--quic-listen', { description: 'QUIC address HOST:PORT (not yet available)' });
  codeTtl = Option.String('--code-ttl', { description: 'Default pairing code lifetime (default 10m)' });
  json = Option.Boolean('--json', false, { description: 'Print the ready line as one JSON object' });

  async execute(): Promise<number> {
    const listen = parseHostPort(this.listen ?? process.env.PALYRA_LISTEN ?? '0.0.0.0:7443', '--listen');
    const controller = new AbortController();
    const stopSignals = ['SIGINT', 'SIGTERM'] as const;
    let daemon: Daemon | undefined;
    let stopRequested = false;
    const onSignal = (): void => {
      stopRequested = true;
      controller.abort();
      void daemon?.stop();
    };
    for (const name of stopSignals) process.on(name, onSignal);
    try {
      daemon = await Daemon.create({
        stateDir: this.resolvedStateDir,
        listen,
        codeTtlMs: this.codeTtl === undefined ? undefined : parseDuration(this.codeTtl, '--code-ttl'),
        signal: controller.signal,
      });
    } catch (error) {
      for (const name of stopSignals) process.off(name, onSignal);
      if (stopRequested) return 0;
      throw error;
    }
    const { info } = daemon;
    if (this.json) {
      this.context.stdout.write(`${JSON.stringify({ event: 'ready', grpc: info.grpcAddress, quic: info.quicAddress, admin: info.adminSocket, ca: info.caFingerprint, stateDir: info.stateDir, pid: process.pid })}\n`);
    } else {
      this.print(`palyrad ready grpc=${info.grpcAddress} quic=${info.quicAddress} admin=${info.adminSocket} ca=${info.caFingerprint}`);
    }
    await new Promise<void>((resolve) => {
      if (controller.signal.aborted) resolve();
      controller.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await daemon.stop().catch((error: unknown) => {
      this.context.stderr.write(`${formatErrorLine(PalyraError.from(error))}\n`);
    });
    for (const name of stopSignals) process.off(name, onSignal);
    return 0;
  }
}
