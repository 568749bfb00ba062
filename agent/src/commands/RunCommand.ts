import { Command, Option } from 'clipanion';
import type { LogLevel, Logger } from '@palyra/shared/logging';
import type { PluginLogger } from '@palyra/shared/plugins';
import { formatErrorLine, PalyraError } from '@palyra/shared/errors';
import type { TransportFallback } from '../connection/HealthChannel.js';
import { AgentCommand } from './AgentCommand.js';

export class RunCommand extends AgentCommand {
  static override paths = [['run']];
  static override usage = Command.Usage({
    description: 'Connect to the daemon with mTLS and serve it until stopped',
    details: `
      Prints \`palyra-node ready device=<ID>\` once registered; reconnects with backoff when the
      connection drops. What the node runs keeps running across a lost connection; results the
      daemon has not acknowledged wait in \`<state dir>/outbox\` (at most 1,000 results, 64 MiB)
      and go up on the next session. Health pings (every 10 s) and this node's events use QUIC when it can
      (the daemon announces its QUIC endpoint at registration), else gRPC over TCP:
      \`--transport-fallback auto\` falls back to gRPC when QUIC fails (UDP blocked, a refused
      handshake, no QUIC binary for this platform) and tries QUIC again later; \`never\` makes a
      QUIC failure fatal; \`always\` never tries QUIC. It prints
      \`palyra-node transport quic|grpc ...\` when the choice changes, and \`palyra-node status\`
      shows it. The node certificate renews itself at about two thirds of its lifetime (stored in
      the vault, then the connections switch to it; prints \`palyra-node renewed path=mtls|grace
      expires=<ISO>\`); one that expired while the node was off renews over the grace path. A
      refusal only pairing can fix (PALYRA_E_CERT_EXPIRED, PALYRA_E_NODE_REVOKED,
      PALYRA_E_RENEWAL_REFUSED) stops the agent. SIGINT/SIGTERM stop it.
    `,
    examples: [
      ['Run the agent', 'palyra-node run'],
      ['gRPC only (UDP is known to be blocked)', 'palyra-node run --transport-fallback always'],
      ['Require QUIC and this exact daemon certificate', 'palyra-node run --transport-fallback never --pin-server-fingerprint 3f2a...c9'],
    ],
  });

  transportFallback = Option.String('--transport-fallback', {
    description: 'auto (default): gRPC when QUIC fails; never: QUIC failure is fatal; always: gRPC only (env PALYRA_TRANSPORT_FALLBACK)',
  });
  logLevel = Option.String('--log-level', { description: 'trace, debug, info, warn, error or silent (env PALYRA_LOG_LEVEL; default info)' });
  pinServerFingerprint = Option.String('--pin-server-fingerprint', {
    description: "SHA-256 of the daemon's server certificate, enforced on QUIC and gRPC (env PALYRA_PIN_SERVER_FINGERPRINT)",
  });

  async execute(): Promise<number> {
    // The agent (gRPC, QUIC, X.509, plugins, logger) loads here, not at the top: every other
    // command would pay for it at start-up.
    const [{ LOG_LEVELS, createLogger }, { parseSha256Fingerprint }, { NodeAgent }, { TRANSPORT_FALLBACKS }, { runtimeStatusPath }] = await Promise.all([
      import('@palyra/shared/logging'),
      import('@palyra/shared/quic'),
      import('../NodeAgent.js'),
      import('../connection/HealthChannel.js'),
      import('../status/RuntimeStatus.js'),
    ]);
    const fallback = parseFallback(this.transportFallback ?? process.env.PALYRA_TRANSPORT_FALLBACK ?? 'auto', TRANSPORT_FALLBACKS);
    const pin = this.pinServerFingerprint ?? process.env.PALYRA_PIN_SERVER_FINGERPRINT;
    const pinnedFingerprint = pin === undefined || pin === '' ? undefined : parseSha256Fingerprint(pin);
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // A plugin may leave a stray rejected promise behind; that must not take the agent (and
    // every other capability with it) down. The dispatch itself already has its outcome.
    const onUnhandled = (reason: unknown): void => {
      this.context.stderr.write(`warn: unhandled promise rejection (a plugin bug?): ${reason instanceof Error ? reason.message : String(reason)}\n`);
    };
    process.on('unhandledRejection', onUnhandled);
    const logger = createLogger({ name: 'palyra-node', level: parseLogLevel(this.logLevel ?? process.env.PALYRA_LOG_LEVEL ?? 'info', LOG_LEVELS) });
    try {
      const store = await this.identityStore();
      const agent = await NodeAgent.create({
        store,
        secrets: () => store.secretStore(),
        configPath: this.config,
        pluginLogger: pluginLoggerFor(logger),
        logger: pluginLoggerFor(logger),
        signal: controller.signal,
        onReady: ({ deviceId }) => this.print(`palyra-node ready device=${deviceId}`),
        transportFallback: fallback,
        ...(pinnedFingerprint === undefined ? {} : { pinnedFingerprint }),
        statusFile: runtimeStatusPath(this.resolvedStateDir),
        stateDir: this.resolvedStateDir,
        onTransport: (status) => {
          if (status.transport === 'quic') this.print(`palyra-node transport quic quic=${status.quicAddress ?? '?'}`);
          else if (status.transport === 'grpc') this.print(`palyra-node transport grpc fallback=${status.fallback} reason=${JSON.stringify(status.reason ?? '')}`);
        },
        onRenewed: ({ path, certExpiresAt }) => this.print(`palyra-node renewed path=${path} expires=${certExpiresAt}`),
        onCertificateExpired: (message) => this.context.stderr.write(`palyra-node: ${message}\n`),
        onDisconnected: ({ error, retryInMs }) => {
          this.context.stderr.write(`${formatErrorLine(error)} (retrying in ${(retryInMs / 1000).toFixed(1)}s)\n`);
          logger.debug({ errorCode: error.code, retryInMs }, 'disconnected from the daemon');
        },
      });
      await agent.run();
      return 0;
    } finally {
      process.off('unhandledRejection', onUnhandled);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

function parseFallback(value: string, choices: readonly TransportFallback[]): TransportFallback {
  if ((choices as readonly string[]).includes(value)) return value as TransportFallback;
  throw new PalyraError('PALYRA_E_USAGE', `--transport-fallback must be one of ${choices.join(', ')}, got "${value}"`);
}

function parseLogLevel(value: string, levels: readonly LogLevel[]): LogLevel {
  if ((levels as readonly string[]).includes(value)) return value as LogLevel;
  throw new PalyraError('PALYRA_E_USAGE', `--log-level must be one of ${levels.join(', ')}, got "${value}"`);
}

/** Plugins (and the agent's own services) log through the agent's structured logger, stamped with their own fields. */
function pluginLoggerFor(logger: Logger): PluginLogger {
  return {
    debug: (message, fields) => logger.debug(fields ?? {}, message),
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}
