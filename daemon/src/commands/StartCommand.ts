import { Command, Option } from 'clipanion';
import { parseDuration, parseHostPort, type HostPort } from '@palyra/shared/config';
import { formatErrorLine, PalyraError } from '@palyra/shared/errors';
import type { Daemon } from '../Daemon.js';
import { StateDirCommand } from './StateDirCommand.js';

export class StartCommand extends StateDirCommand {
  static override paths = [['start']];
  static override usage = Command.Usage({
    description: 'Run the daemon in the foreground',
    details: `
      The first start creates the certificate authority in the state directory. When the
      daemon is ready it prints one line: \`palyrad ready grpc=HOST:PORT quic=... admin=SOCKET [admin-tls=HOST:PORT] [metrics=HOST:PORT] ca=SHA256\`.
      SIGINT or SIGTERM stop it cleanly.
    `,
    examples: [
      ['Listen on all interfaces, port 7443', 'palyrad start'],
      ['Loopback only, on a free port, JSON ready line', 'palyrad start --listen 127.0.0.1:0 --json'],
      ['QUIC on its own port, at most 1000 connections', 'palyrad start --quic-listen 0.0.0.0:9444 --quic-max-connections 1000'],
      ['gRPC only', 'palyrad start --quic-listen off'],
      ['The admin API for remote operators too (API tokens over TLS)', 'palyrad start --admin-listen 0.0.0.0:7445'],
      ['Prometheus metrics on localhost (plain HTTP: keep it off public networks)', 'palyrad start --metrics-listen 127.0.0.1:9464'],
      ['Admit nodes that pair with a QR code without an operator (automation)', 'palyrad start --auto-approve qr'],
      ['State in PostgreSQL (the password from PGPASSWORD)', 'palyrad start --store postgres://palyra@db.example:5432/palyra'],
    ],
  });

  listen = Option.String('--listen', { description: 'gRPC TLS address HOST:PORT (env PALYRA_LISTEN; default 0.0.0.0:7443; port 0 picks a free port)' });
  quicListen = Option.String('--quic-listen', {
    description: 'QUIC address HOST:PORT for node health and events, or off (env PALYRA_QUIC_LISTEN; default: the --listen host, port 7444, or a free port when --listen has port 0)',
  });
  quicMaxConnections = Option.String('--quic-max-connections', {
    description: 'QUIC connections held at once; the next one is refused (env PALYRA_QUIC_MAX_CONNECTIONS; default 256)',
  });
  healthPingsPerSecond = Option.String('--health-pings-per-second', {
    description: 'Health pings each node may send per second, twice that in a burst; a node over it loses that channel (env PALYRA_HEALTH_PINGS_PER_SECOND; default 10)',
  });
  handshakeTimeout = Option.String('--handshake-timeout', {
    description: 'Time a node-port connection has from TCP accept to the end of its TLS and HTTP/2 handshake before it is closed (env PALYRA_HANDSHAKE_TIMEOUT; default 10s)',
  });
  maxConnections = Option.String('--max-connections', {
    description: 'Node-port TCP connections held at once; the next one is closed at once (env PALYRA_MAX_CONNECTIONS; default 20000, lowered to fit the open-file limit)',
  });
  maxConnectionsPerAddress = Option.String('--max-connections-per-address', {
    description: 'Node-port TCP connections held at once from one address (an IPv6 /64); raise it for many nodes behind one NAT (env PALYRA_MAX_CONNECTIONS_PER_ADDRESS; default 256)',
  });
  maxPairings = Option.String('--max-pairings', {
    description: 'Pairing exchanges in progress at once; the next is refused with PALYRA_E_PAIRING_BUSY (env PALYRA_MAX_PAIRINGS; default 1024)',
  });
  maxPairingsPerAddress = Option.String('--max-pairings-per-address', {
    description: 'Pairing exchanges in progress at once from one address (an IPv6 /64) (env PALYRA_MAX_PAIRINGS_PER_ADDRESS; default 32)',
  });
  vault = Option.String('--vault', {
    description:
      'Where the CA and server keys are kept encrypted (env PALYRA_VAULT): auto (default: the OS vault when it answers, else an encrypted file ' +
      'with PALYRA_VAULT_PASSPHRASE or a prompt), os, or file (an encrypted file: passphrase, else a 0600 key file in the state dir)',
  });
  vaultKeyFile = Option.String('--vault-key-file', { description: 'A 0600 file holding the vault key (64 hex characters; created when missing; env PALYRA_VAULT_KEY_FILE)' });
  codeTtl = Option.String('--code-ttl', { description: 'Default pairing code lifetime (env PALYRA_CODE_TTL; default 10m)' });
  requestTtl = Option.String('--request-ttl', { description: 'How long a pairing request waits for an operator (env PALYRA_REQUEST_TTL; default 15m)' });
  certValidity = Option.String('--cert-validity', {
    description: 'Lifetime of node certificates, 1m to 365d, e.g. 24h, 90m, 7d; nodes renew at two thirds of it (env PALYRA_CERT_VALIDITY; default 24h; under 1h warns: for tests)',
  });
  renewalGrace = Option.String('--renewal-grace', {
    description: 'How long after its certificate expired a node may still renew by its identity key, without pairing again; 0 turns that off (env PALYRA_RENEWAL_GRACE; default 30d)',
  });
  certValidityDays = Option.String('--cert-validity-days', { description: 'Deprecated: use --cert-validity (whole days; env PALYRA_CERT_VALIDITY_DAYS)' });
  autoApprove = Option.String('--auto-approve', {
    description:
      'Approve confirmed pairing requests without an operator, for automation (env PALYRA_AUTO_APPROVE): off (default), ' +
      'qr (QR-code pairings only), or all (PIN pairings too: anyone who sees the PIN can then join unchecked)',
  });
  store = Option.String('--store', {
    description:
      'Where the state lives (env PALYRA_STORE): sqlite (default: palyrad.db in the state dir) or a postgres:// URL ' +
      '(keep the password off the command line: PGPASSWORD or the config file; see docs/postgresql.md)',
  });
  adminListen = Option.String('--admin-listen', {
    description:
      'Serve the admin API remotely over TLS on HOST:PORT (the server certificate; callers present API tokens, see palyrad tokens create; ' +
      'env PALYRA_ADMIN_LISTEN; default off; port 0 picks a free port). The admin socket stays',
  });
  metricsListen = Option.String('--metrics-listen', {
    description:
      'Serve Prometheus metrics (GET /metrics, plain HTTP, no authentication) on HOST:PORT: bind it to localhost or a private network ' +
      '(env PALYRA_METRICS_LISTEN; default off; port 0 picks a free port; see docs/metrics.md)',
  });
  auditMaxFileBytes = Option.String('--audit-max-file-bytes', {
    description: 'Rotate the audit log\'s audit.log at this size in bytes (env PALYRA_AUDIT_MAX_FILE_BYTES; default 67108864 = 64 MiB; at least 65536). Rotated files are never deleted by the daemon',
  });
  logLevel = Option.String('--log-level', { description: 'trace, debug, info, warn, error or silent (env PALYRA_LOG_LEVEL; default info)' });
  config = Option.String('--config', { description: 'Config file (env PALYRA_CONFIG; default: a palyra config found from the working directory up)' });
  json = Option.Boolean('--json', false, { description: 'Print the ready line as one JSON object' });

  async execute(): Promise<number> {
    // Loaded here, not at the top: the other commands would pay for the logger, the vault and
    // the config loader (and, below, the whole daemon) at every start-up.
    const [{ loadDaemonSettings, certLifetimes }, { createLogger }, { resolveVaultSettings }] = await Promise.all([
      import('../config/daemonSettings.js'),
      import('@palyra/shared/logging'),
      import('@palyra/shared/vault'),
    ]);
    const { settings } = await loadDaemonSettings(
      {
        listen: this.listen,
        quicListen: this.quicListen,
        quicMaxConnections: this.quicMaxConnections,
        healthPingsPerSecond: this.healthPingsPerSecond,
        handshakeTimeout: this.handshakeTimeout,
        maxConnections: this.maxConnections,
        maxConnectionsPerAddress: this.maxConnectionsPerAddress,
        maxPairings: this.maxPairings,
        maxPairingsPerAddress: this.maxPairingsPerAddress,
        vault: this.vault,
        vaultKeyFile: this.vaultKeyFile,
        codeTtl: this.codeTtl,
        requestTtl: this.requestTtl,
        certValidity: this.certValidity,
        renewalGrace: this.renewalGrace,
        certValidityDays: this.certValidityDays,
        autoApprove: this.autoApprove,
        logLevel: this.logLevel,
        store: this.store,
        adminListen: this.adminListen,
        metricsListen: this.metricsListen,
        auditMaxFileBytes: this.auditMaxFileBytes,
      },
      { configPath: this.config },
    );
    const listen = parseHostPort(settings.listen.value, '--listen');
    const lifetimes = certLifetimes(settings);
    for (const warning of lifetimes.warnings) this.context.stderr.write(`palyrad: warning: ${warning}\n`);
    const logger = createLogger({ name: 'palyrad', level: settings.logLevel.value });
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
      const { Daemon } = await import('../Daemon.js');
      daemon = await Daemon.create({
        stateDir: this.resolvedStateDir,
        listen,
        codeTtlMs: parseDuration(settings.codeTtl.value, 'codeTtl'),
        requestTtlMs: parseDuration(settings.requestTtl.value, 'requestTtl'),
        certValidityMs: lifetimes.certValidityMs,
        renewalGraceMs: lifetimes.renewalGraceMs,
        autoApprove: settings.autoApprove.value,
        vault: resolveVaultSettings({ vault: settings.vault.value, vaultKeyFile: settings.vaultKeyFile.value || undefined }),
        logger,
        onNotice: (line) => this.context.stderr.write(`palyrad: ${line}\n`),
        quicListen: parseQuicListen(settings.quicListen.value),
        quicMaxConnections: settings.quicMaxConnections.value,
        healthPingsPerSecond: settings.healthPingsPerSecond.value,
        connectionLimits: {
          handshakeTimeoutMs: parseDuration(settings.handshakeTimeout.value, 'handshakeTimeout'),
          maxConnections: settings.maxConnections.value,
          maxConnectionsPerAddress: settings.maxConnectionsPerAddress.value,
        },
        pairingLimits: { total: settings.maxPairings.value, perAddress: settings.maxPairingsPerAddress.value },
        ...(settings.store.value === '' ? {} : { store: settings.store.value }),
        ...(settings.adminListen.value === '' ? {} : { adminListen: parseHostPort(settings.adminListen.value, '--admin-listen') }),
        ...(settings.metricsListen.value === '' ? {} : { metricsListen: parseHostPort(settings.metricsListen.value, '--metrics-listen') }),
        auditMaxFileBytes: settings.auditMaxFileBytes.value,
        signal: controller.signal,
      });
    } catch (error) {
      for (const name of stopSignals) process.off(name, onSignal);
      if (stopRequested) return 0;
      throw error;
    }
    const { info } = daemon;
    if (info.vault.fallbackReason !== undefined) this.context.stderr.write(`palyrad: ${info.vault.fallbackReason}; using the encrypted file\n`);
    this.context.stderr.write(`palyrad: keys encrypted at rest (vault ${info.vault.backend}): ${info.vault.description}\n`);
    if (info.quicDisabledReason !== undefined) this.context.stderr.write(`palyrad: QUIC is disabled (${info.quicDisabledReason}); nodes use gRPC only\n`);
    if (info.quicNotice !== undefined) this.context.stderr.write(`palyrad: ${info.quicNotice}\n`);
    if (info.metricsAddress !== undefined && /^(0\.0\.0\.0|\[?::\]?):/.test(info.metricsAddress)) {
      // Plain HTTP without authentication: on every interface, anyone who reaches the host reads it.
      this.context.stderr.write(`palyrad: warning: the metrics endpoint ${info.metricsAddress} (plain HTTP, no authentication) listens on every interface: bind --metrics-listen to localhost or a private address\n`);
    }
    if (this.json) {
      this.context.stdout.write(`${JSON.stringify({ event: 'ready', grpc: info.grpcAddress, quic: info.quicAddress, admin: info.adminSocket, ...(info.adminTlsAddress === undefined ? {} : { adminTls: info.adminTlsAddress }), ...(info.metricsAddress === undefined ? {} : { metrics: info.metricsAddress }), ca: info.caFingerprint, stateDir: info.stateDir, pid: process.pid, vault: info.vault, store: info.store })}\n`);
    } else {
      this.print(`palyrad ready grpc=${info.grpcAddress} quic=${info.quicAddress} admin=${info.adminSocket}${info.adminTlsAddress === undefined ? '' : ` admin-tls=${info.adminTlsAddress}`}${info.metricsAddress === undefined ? '' : ` metrics=${info.metricsAddress}`} ca=${info.caFingerprint}`);
    }
    await new Promise<void>((resolve) => {
      if (controller.signal.aborted) resolve();
      controller.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await daemon.stop().catch((error: unknown) => {
      this.context.stderr.write(`${formatErrorLine(PalyraError.from(error))}\n`);
    });
    for (const name of stopSignals) process.off(name, onSignal);
    // The daemon has stopped (each service within its deadline) and released its lock: a
    // handle a stuck peer still holds (a socket, a library's timer) must not keep the process.
    setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
    return 0;
  }
}

/** How long a stopped daemon's process may take to exit by itself. */
const EXIT_GRACE_MS = 2_000;

function parseQuicListen(value: string | undefined): HostPort | 'disabled' | undefined {
  if (value === undefined || value === '') return undefined;
  if (['off', 'disabled', 'none'].includes(value.toLowerCase())) return 'disabled';
  return parseHostPort(value, '--quic-listen');
}
