import { networkInterfaces, hostname } from 'node:os';
import { join } from 'node:path';
import { formatHostPort, type HostPort } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import type { OsKeyring, PassphraseSource, VaultBackendInfo, VaultSettings } from '@palyra/shared/vault';
import { ADMIN_SOCKET_NAME, AdminServer } from './admin/AdminServer.js';
import type { McpSessionLimits } from './admin/http/McpSessions.js';
import { CertificateAuthority, StateDirectory, VaultKeyStore } from './ca/index.js';
import { CaRotation } from './ca/CaRotation.js';
import { DispatchCoordinator, DispatchJournal, NodeCapabilities, SchemaWorker } from './dispatch/index.js';
import { PairingCodeMinter } from './pairing/PairingCodeMinter.js';
import { PairingDecisions } from './pairing/PairingDecisions.js';
import { AutoApprover } from './pairing/AutoApprover.js';
import type { AutoApproveMode } from './pairing/autoApprovePolicy.js';
import type { NodeRegistry, RenewalListener } from './registry/index.js';
import { DEFAULT_RENEWAL_GRACE_MS, DEFAULT_RENEWAL_LIMITS } from './renewal/RenewalService.js';
import type { RenewalRate } from './renewal/RenewalBudget.js';
import { NODE_DEFAULT_VALIDITY_MS } from './ca/constants.js';
import { openDaemonRegistry } from './registry/openDaemonRegistry.js';
import { openStore } from './store/openStore.js';
import { importSeedFileOnce } from './store/seed/index.js';
import { NodeRpcServer } from './rpc/NodeRpcServer.js';
import { TokenService } from './access/TokenService.js';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './rpc/ConnectionGuard.js';
import { fitConnectionCap } from './rpc/fileDescriptorLimit.js';
import { DEFAULT_PAIRING_LIMITS } from './rpc/PairingServiceImpl.js';
import type { PeerLimits } from './rpc/PeerLimiter.js';
import { TlsCertificateProvider } from './rpc/TlsCertificateProvider.js';
import { SessionManager } from './sessions/SessionManager.js';
import { StateDirLock } from './state/StateDirLock.js';
import { DAEMON_VERSION } from './version.js';
import { logDaemonEvents } from './logging/logDaemonEvents.js';
import { RateLimitedLog, type Logger } from '@palyra/shared/logging';
import { logFailure } from './logging/logFailure.js';
import { stopServices, type Service, type StartedService } from './stopServices.js';
import { DaemonEvents } from './events/DaemonEvents.js';
import { certificateTransitionEvent, publishCertificateRenewals, publishDispatchEvents, wireDaemonEvents } from './events/wireDaemonEvents.js';
import { CertificateWatcher } from './certificates/CertificateWatcher.js';
import { ServerCertificateRenewer } from './certificates/ServerCertificateRenewer.js';
import { NodeHealth } from './health/NodeHealth.js';
import { DEFAULT_QUIC_MAX_CONNECTIONS, QuicNodeServer } from './quic/QuicNodeServer.js';
import type { StoreEngine } from './store/SqlDatabase.js';
import { AuditLog } from './audit/AuditLog.js';
import { recordRegistryEvents } from './audit/recordRegistryEvents.js';
import { DaemonMetrics } from './metrics/DaemonMetrics.js';
import { fleetSnapshot } from './metrics/fleetSnapshot.js';
import { MetricsServer, type MetricsServerLimits } from './metrics/MetricsServer.js';
import { countPairingOutcomes, observeDispatch } from './metrics/wireMetrics.js';

export interface DaemonOptions {
  stateDir: string;
  listen: HostPort;
  /** Default lifetime of a pairing code. */
  codeTtlMs?: number;
  /** How long a pairing request waits for an operator. */
  requestTtlMs?: number;
  /** Lifetime of node certificates, at pairing and at each renewal (default 24 h). */
  certValidityMs?: number;
  /** How long after expiry a node may still renew by its identity key (default 30 days; 0: never). */
  renewalGraceMs?: number;
  /** Called after each certificate renewal was recorded (e.g. to publish `cert.renewed`). */
  onCertificateRenewed?: RenewalListener;
  /** RenewCertificate streams held at once in total and per address (defaults in DEFAULT_RENEWAL_LIMITS). */
  renewalLimits?: Partial<PeerLimits>;
  /** Deadline of one RenewCertificate stream (default DEFAULT_RENEWAL_TIMEOUT_MS). */
  renewalTimeoutMs?: number;
  /** Renewals one node may make: a burst, and so many more per certificate lifetime (default DEFAULT_RENEWAL_RATE). */
  renewalRate?: RenewalRate;
  /**
   * Approve confirmed pairing requests without an operator: 'off' (default), 'qr' or 'all'.
   * For automation; see pairing/autoApprovePolicy.ts for why PINs are a separate choice.
   */
  autoApprove?: AutoApproveMode;
  /** Where the CA and server keys are kept encrypted (default `auto`: the OS vault, else a passphrase). */
  vault?: VaultSettings & { passphrase?: PassphraseSource; keyring?: OsKeyring; env?: NodeJS.ProcessEnv };
  /** Receives one line for people (e.g. when plaintext keys were migrated into the vault). */
  onNotice?: (line: string) => void;
  /** Structured log of pairing, nodes, revocations and dispatches (default: none). */
  logger?: Logger;
  /**
   * The QUIC endpoint: an address, 'disabled', or undefined for the default (the gRPC host,
   * port 7444, or a free port when the gRPC port is 0; quietly disabled when this platform
   * has no QUIC binary).
   */
  quicListen?: HostPort | 'disabled';
  /** QUIC connections held at once (default 256). */
  quicMaxConnections?: number;
  /** Health pings each node may send per second, twice that in a burst (default 10). */
  healthPingsPerSecond?: number;
  /**
   * Node port: TCP connections held at once in total and per address, and the deadline for TLS
   * plus the HTTP/2 preface (defaults in DEFAULT_CONNECTION_LIMITS; the total is lowered to fit
   * the open-file limit).
   */
  connectionLimits?: Partial<ConnectionLimits>;
  /** Pair streams held at once in total and per address (defaults in DEFAULT_PAIRING_LIMITS). */
  pairingLimits?: Partial<PeerLimits>;
  /**
   * Where the state lives: undefined or 'sqlite' for the SQLite file in the state dir, or a
   * `postgres://` URL (see docs/postgresql.md).
   */
  store?: string;
  /** Lifetime of the server certificates this daemon issues (tests only; default a year). */
  serverCertValidityMs?: number;
  /** How often the server certificate is checked for renewal (default 1 h; tests: less). */
  serverCertCheckIntervalMs?: number;
  /** How often node certificates are swept for cert.expiring / cert.expired (default 30 s). */
  certSweepIntervalMs?: number;
  /** Size at which the audit log's `audit.log` is rotated (default 64 MiB; `--audit-max-file-bytes`, config `auditMaxFileBytes`). */
  auditMaxFileBytes?: number;
  /** Clock of the node certificate states (watcher, nodes list, status): tests move it ahead. */
  certificateClock?: () => Date;
  /**
   * The remote admin endpoint (`--admin-listen`): AdminService over TLS with API tokens, on
   * this address (port 0 picks one). Undefined: off; the Unix socket is always there.
   */
  adminListen?: HostPort;
  /** Bounds of the remote admin endpoint's MCP sessions (tests: small ones, a short idle timeout). */
  mcpSessionLimits?: McpSessionLimits;
  /**
   * The Prometheus endpoint (`--metrics-listen`): plain HTTP GET /metrics on this address (port
   * 0 picks one). Undefined: off, and no metric is collected.
   */
  metricsListen?: HostPort;
  /** Bounds of the metrics endpoint (tests: short timeouts). */
  metricsLimits?: Partial<MetricsServerLimits>;
  signal?: AbortSignal;
}

export interface DaemonInfo {
  grpcAddress: string;
  /** The address nodes should dial: the listen address, or this host's name when it is a wildcard. */
  advertisedAddress: string;
  /** HOST:PORT of the QUIC endpoint, or 'disabled'. */
  quicAddress: string;
  /** Why QUIC is disabled, when it is. */
  quicDisabledReason?: string;
  /** Something the operator should know about the QUIC endpoint (it moved off its default port). */
  quicNotice?: string;
  adminSocket: string;
  /** HOST:PORT of the remote admin endpoint, when --admin-listen is on. */
  adminTlsAddress?: string;
  /** HOST:PORT of the metrics endpoint, when --metrics-listen is on. */
  metricsAddress?: string;
  caFingerprint: string;
  stateDir: string;
  /** Which backend holds the CA and server keys. */
  vault: VaultBackendInfo;
  /** Which pairing requests are approved without an operator. */
  autoApprove: AutoApproveMode;
  /** Where the state lives: the engine, and the SQLite file or the URL without its password. */
  store: { engine: StoreEngine; location: string };
}

const DEFAULT_CODE_TTL_MS = 10 * 60_000;
const MAX_CODE_TTL_MS = 24 * 60 * 60_000;
const DEFAULT_REQUEST_TTL_MS = 15 * 60_000;
const EXPIRY_SWEEP_MS = 1_000;
/** Expired deny-list entries are pruned every this many sweeps (it is cheap anyway until one expires). */
const REVOCATION_PRUNE_EVERY = 60;
/** The default QUIC port, beside gRPC's 7443. */
const DEFAULT_QUIC_PORT = 7444;

/**
 * The daemon's composition root: builds its services in order and stops them in reverse,
 * also when a step of start-up fails.
 */
export class Daemon {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly info: DaemonInfo,
    private readonly services: StartedService[],
    private readonly logger: Logger | undefined,
  ) {}

  static async create(options: DaemonOptions): Promise<Daemon> {
    const { stateDir, signal } = options;
    const started: StartedService[] = [];
    const add = (name: string, service: Service, options: { untilDone?: boolean } = {}): void => {
      started.push({ name, service, ...options });
    };
    const startedAt = new Date();
    try {
      // The lock comes first: two daemons racing on an empty dir must not both create a CA.
      await StateDirectory.open(stateDir);
      const lock = new StateDirLock(stateDir);
      await lock.acquire();
      add('state dir lock', { stop: () => lock.release() }, { untilDone: true });
      const keys = await VaultKeyStore.open({ stateDir, ...options.vault, signal, onNotice: options.onNotice });
      const ca = await CertificateAuthority.loadOrCreate({ stateDir, keys, signal });
      // The audit log opens before anything it records can happen, and closes after all of
      // them stopped (services stop in reverse order): its last anchor is written then.
      const auditKey = await keys.auditKey();
      const audit = await AuditLog.open({
        stateDir,
        key: auditKey.key,
        keyIsNew: auditKey.created,
        ...(options.auditMaxFileBytes === undefined ? {} : { maxFileBytes: options.auditMaxFileBytes }),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      });
      add('audit log', audit, { untilDone: true });

      // The database is checked (integrity, schema version) and migrated before anything else
      // reads state: a refused store stops the daemon here. Then the first releases' state
      // file is migrated into it, once.
      const store = await openStore({ stateDir, store: options.store, signal });
      // Closed after the registry's last flush (services stop in reverse order).
      add('state store', { stop: () => store.close() }, { untilDone: true });
      const seed = await importSeedFileOnce(store, stateDir, { signal });
      if (seed.status === 'imported') {
        options.logger?.info({ file: seed.file, store: store.location, ...seed.counts }, 'state file migrated into the state store');
        options.onNotice?.(`migrated ${seed.file} into the state store ${store.location} (${seed.counts.nodes} nodes); the file is kept as it was, as a backup, and not read again`);
      }
      const registry = await openDaemonRegistry(store, { logger: options.logger, signal });
      add('registry flush', { stop: () => registry.flush() }, { untilDone: true });
      const stopRecording = recordRegistryEvents(registry, audit, options.logger);
      add('audit of registry changes', { stop: async () => stopRecording() });

      // The remote admin endpoint serves the same certificate: it names that address too.
      const hosts = [...new Set([...certificateHosts(options.listen.host), ...(options.adminListen === undefined ? [] : certificateHosts(options.adminListen.host))])];
      const serverValidity = options.serverCertValidityMs === undefined ? {} : { validityMs: options.serverCertValidityMs };
      const sessions = new SessionManager();
      // CA rotation: swaps the trusted CAs into both node-facing servers, and the server
      // certificate (through its renewer) once every node trusts the new CA. Both are called only
      // after the servers are up.
      let quicServer: QuicNodeServer | undefined;
      const rotation = new CaRotation({
        ca,
        registry,
        sessions,
        serverHosts: hosts,
        ...(options.serverCertValidityMs === undefined ? {} : { serverValidityMs: options.serverCertValidityMs }),
        logger: options.logger,
        server: () => serverCertificate,
        applyTrust: (caCertPem) => {
          provider.update({ ...provider.material, caCertPem });
          quicServer?.updateTrust(caCertPem);
        },
      });
      // During a rotation, from the new CA only once every registered node trusts it.
      const server = await ca.ensureServerCertificate({ hosts, issuer: rotation.desiredServerIssuer(), signal, ...serverValidity });
      const provider = new TlsCertificateProvider({ caCertPem: ca.trustBundlePem, serverCertPem: server.certPem, serverKeyPem: server.keyPem });
      // A revoked certificate must lose its live Session at once, whatever revoked it: peers
      // are authenticated only when a stream opens. By fingerprint: a renewal deny-lists the
      // certificate the node held before once it presents the new one, and that must close
      // the old session only, never the new one. `nodes remove` revokes every certificate of
      // the node (and closes its session itself).
      const stopClosingRevoked = registry.onRevoked((revoked) =>
        sessions.closeFingerprint(
          revoked.fingerprint,
          new PalyraError('PALYRA_E_PERMISSION_DENIED', `this node certificate was revoked (${revoked.reason})`),
        ),
      );
      add('revocation listener', { stop: async () => stopClosingRevoked() });
      // Node-supplied schemas are compiled and run in a worker thread, never on this event loop.
      const schemaWorker = new SchemaWorker({
        onRestart: (reason) => options.logger?.warn({ reason }, 'schema worker restarted'),
      });
      schemaWorker.start();
      add('schema worker', schemaWorker);
      const capabilities = new NodeCapabilities(schemaWorker);
      const events = new DaemonEvents({ logger: options.logger });
      // Off by default: then nothing is counted anywhere (the hooks below stay undefined).
      let metrics: DaemonMetrics | undefined;
      const health = new NodeHealth({
        ...(options.healthPingsPerSecond === undefined ? {} : { pingsPerSecond: options.healthPingsPerSecond }),
        onRoundTrip: (transport, rttMs) => metrics?.healthRoundTrip(transport, rttMs),
      });
      const unwireEvents = wireDaemonEvents(events, sessions, registry);
      add('event wiring', { stop: async () => unwireEvents() });
      const renewalGraceMs = options.renewalGraceMs ?? DEFAULT_RENEWAL_GRACE_MS;
      const certificateClock = options.certificateClock ?? (() => new Date());
      const stopRenewalEvents = publishCertificateRenewals(events, registry);
      add('certificate renewal events', { stop: async () => stopRenewalEvents() });
      if (options.logger !== undefined) {
        const logger = options.logger;
        const stopLogging = logDaemonEvents(events, logger);
        const stopLoggingRevocations = registry.onRevoked((revoked) =>
          logger.warn({ deviceId: revoked.deviceId, certFingerprint: revoked.fingerprint, reason: revoked.reason }, 'certificate revoked'),
        );
        add('event logging', {
          stop: async () => {
            stopLogging();
            stopLoggingRevocations();
          },
        });
      }
      const dispatcher = new DispatchCoordinator({
        capabilities,
        isRegistered: (deviceId) => registry.getNode(deviceId) !== undefined,
        onDispatch: (dispatch) => {
          publishDispatchEvents(events, dispatch);
          if (metrics !== undefined) observeDispatch(metrics, dispatch, (deviceId, capability) => capabilities.get(deviceId, capability) !== undefined);
        },
        journal: new DispatchJournal(store),
        onJournalError: (error, what) => logFailure(options.logger, 'error', `dispatch journal: ${what} failed`, error),
      });
      // Before any node connects: what a previous run left is settled or waits for its node.
      const recovered = await dispatcher.recover();
      if (recovered.restarted + recovered.awaiting > 0) {
        options.logger?.info(recovered, 'dispatch journal: dispatches of the previous run recovered');
      }
      // Stopping it is idempotent: this entry covers a start-up that fails from here on; the
      // one after the admin server stops it first on a normal stop.
      add('dispatch coordinator', { stop: () => dispatcher.stop() }, { untilDone: true });
      const quic = await startQuic(options, { registry, health, events, ca, server });
      if (quic.server !== undefined) {
        quicServer = quic.server;
        const started = quic.server;
        const stopClosingQuic = registry.onRevoked((revoked) => started.closeFingerprint(revoked.fingerprint, `this node certificate was revoked (${revoked.reason})`));
        add('QUIC server', {
          stop: async () => {
            stopClosingQuic();
            await started.stop();
          },
        });
      }
      const quicAddress = quic.server === undefined ? '' : formatHostPort(quic.server.address);
      // Started once the gRPC server listens; swaps the certificate into both listeners.
      const serverCertificate = new ServerCertificateRenewer({
        ca,
        hosts,
        current: server,
        ...serverValidity,
        ...(options.serverCertCheckIntervalMs === undefined ? {} : { intervalMs: options.serverCertCheckIntervalMs }),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
        install: (renewed) => {
          provider.update({ ...provider.material, serverCertPem: renewed.certPem, serverKeyPem: renewed.keyPem });
          quic.server?.updateCertificate(renewed);
        },
      });
      sessions.on('online', (session) => dispatcher.nodeOnline(session.deviceId, (message) => session.send(message), session.report));
      sessions.on('online', (session) => rotation.nodeOnline(session));
      // A trust report or a removed node may complete what the new CA waited for.
      const stopWatchingRotation = rotation.watch();
      add('CA rotation watch', { stop: async () => stopWatchingRotation() });
      sessions.on('offline', (session) => dispatcher.nodeOffline(session.deviceId));
      const autoApprove = options.autoApprove ?? 'off';
      const certValidityMs = options.certValidityMs ?? NODE_DEFAULT_VALIDITY_MS;
      const decisions = new PairingDecisions(registry, ca, certValidityMs, audit, options.logger);
      if (options.onCertificateRenewed !== undefined) {
        const stopRenewalListener = registry.onCertificateRenewed(options.onCertificateRenewed);
        add('renewal listener', { stop: async () => stopRenewalListener() });
      }
      // Listening before the pairing port opens: a PIN minted by an earlier run may still be active.
      const autoApprover = new AutoApprover({ mode: autoApprove, registry, decisions, logger: options.logger });
      autoApprover.start();
      add('auto-approver', autoApprover);
      if (autoApprove !== 'off') {
        options.logger?.warn(
          { autoApprove },
          autoApprove === 'all'
            ? 'auto-approve is on for PIN and QR pairing: every node that completes a pairing is admitted without an operator'
            : 'auto-approve is on for QR pairing: every node that completes a QR pairing is admitted without an operator',
        );
      }
      if (options.metricsListen !== undefined) {
        metrics = new DaemonMetrics(() =>
          fleetSnapshot({
            nodes: () => registry.listNodes(),
            isOnline: (deviceId) => sessions.isOnline(deviceId),
            transportOf: (deviceId, online) => health.transportOf(deviceId, online),
            queue: () => dispatcher.queueDepth(),
            now: certificateClock,
            graceMs: renewalGraceMs,
          }),
        );
        const stopCountingPairings = countPairingOutcomes(metrics, registry);
        add('pairing outcome metrics', { stop: async () => stopCountingPairings() });
      }
      const rpc = new NodeRpcServer(options.listen, provider, {
        registry,
        sessions,
        capabilities,
        dispatcher,
        ca,
        daemonVersion: DAEMON_VERSION,
        health,
        quicAddress: () => quicAddress,
        serverCertFingerprint: () => serverCertificate.current.fingerprint,
        trust: { bundlePem: () => ca.trustBundlePem, recordTrust: (deviceId, fingerprints) => rotation.recordTrust(deviceId, fingerprints) },
        requestTtlMs: options.requestTtlMs ?? DEFAULT_REQUEST_TTL_MS,
        logger: options.logger,
        pairingLimits: { ...DEFAULT_PAIRING_LIMITS, ...options.pairingLimits },
        onPairingFailed: () => metrics?.pairingOutcome('failed'),
        renewal: {
          certValidityMs,
          renewalGraceMs,
          caBundlePem: () => ca.trustBundlePem,
          limits: { ...DEFAULT_RENEWAL_LIMITS, ...options.renewalLimits },
          ...(options.renewalTimeoutMs === undefined ? {} : { timeoutMs: options.renewalTimeoutMs }),
          ...(options.renewalRate === undefined ? {} : { rate: options.renewalRate }),
        },
      }, { connectionLimits: connectionLimits(options) });
      signal?.throwIfAborted();
      await rpc.start();
      add('gRPC server', {
        stop: async () => {
          sessions.closeAll(new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', 'the daemon is shutting down'));
          await rpc.stop();
        },
      });

      serverCertificate.start();
      add('server certificate renewal', serverCertificate);
      const certificateWatcher = new CertificateWatcher({
        nodes: () => registry.listNodes(),
        graceMs: renewalGraceMs,
        now: certificateClock,
        ...(options.certSweepIntervalMs === undefined ? {} : { intervalMs: options.certSweepIntervalMs }),
        onTransition: (transition) => events.publish(certificateTransitionEvent(transition, certificateClock())),
      });
      certificateWatcher.start();
      add('certificate watcher', certificateWatcher);

      // Fails the same way every second while it fails (say a full disk): one line, then a summary a minute.
      const sweepFailures = options.logger === undefined ? undefined : new RateLimitedLog({ logger: options.logger });
      let sweeps = 0;
      const sweeper = setInterval(() => {
        registry.expireRequests().catch((error: unknown) => sweepFailures?.note('error', 'expiry sweep', failureFields(error), 'expiry sweep failed'));
        sweeps += 1;
        if (sweeps % REVOCATION_PRUNE_EVERY === 0) {
          registry
            .pruneRevocations()
            .then((pruned) => {
              if (pruned > 0) options.logger?.debug({ pruned, left: registry.revocationCount }, 'expired certificates left the deny list');
            })
            .catch((error: unknown) => sweepFailures?.note('error', 'revocation prune', failureFields(error), 'pruning the deny list failed'));
        }
      }, EXPIRY_SWEEP_MS);
      sweeper.unref();
      add('expiry sweep', {
        stop: async () => {
          clearInterval(sweeper);
          sweepFailures?.stop();
        },
      });

      const info: DaemonInfo = {
        grpcAddress: formatHostPort(rpc.address),
        advertisedAddress: isWildcard(options.listen.host)
          ? formatHostPort({ host: hostname(), port: rpc.address.port })
          : formatHostPort(rpc.address),
        quicAddress: quicAddress === '' ? 'disabled' : quicAddress,
        ...(quic.disabledReason === undefined ? {} : { quicDisabledReason: quic.disabledReason }),
        ...(quic.notice === undefined ? {} : { quicNotice: quic.notice }),
        adminSocket: join(stateDir, ADMIN_SOCKET_NAME),
        caFingerprint: ca.caFingerprint,
        stateDir,
        vault: keys.backend,
        autoApprove,
        store: { engine: store.engine, location: store.location },
      };
      // API tokens: the table is loaded into memory once; authentication never waits for the store.
      const tokens = await TokenService.open({ repository: store.tokens, ...(options.logger === undefined ? {} : { logger: options.logger }) });
      add('token service', { stop: async () => tokens.close() });
      let adminTlsAddress = '';
      const admin = new AdminServer(info.adminSocket, {
        tokens,
        registry,
        sessions,
        minter: new PairingCodeMinter(registry),
        decisions,
        dispatcher,
        capabilities,
        advertisedAddress: info.advertisedAddress,
        health,
        events,
        logger: options.logger,
        caFingerprint: () => ca.caFingerprint,
        rotation,
        audit,
        auditLog: audit,
        defaultCodeTtlMs: options.codeTtlMs ?? DEFAULT_CODE_TTL_MS,
        maxCodeTtlMs: MAX_CODE_TTL_MS,
        renewalGraceMs,
        now: certificateClock,
        status: () => ({
          version: DAEMON_VERSION,
          grpcAddress: info.grpcAddress,
          quicAddress: info.quicAddress,
          adminSocket: info.adminSocket,
          caFingerprint: ca.caFingerprint,
          caNotAfter: ca.caNotAfter.toISOString(),
          caSigningFingerprint: ca.signing.fingerprint,
          caSigningNotAfter: ca.signing.notAfter.toISOString(),
          caRotating: ca.rotating,
          stateDir,
          startedAt: startedAt.toISOString(),
          pid: process.pid,
          autoApprove: info.autoApprove,
          storeEngine: info.store.engine,
          storeLocation: info.store.location,
          serverCertExpiresAt: serverCertificate.current.notAfter.toISOString(),
          serverCertFingerprint: serverCertificate.current.fingerprint,
          adminTlsAddress,
        }),
      }, options.adminListen === undefined
        ? undefined
        : { listen: options.adminListen, provider, ...(options.mcpSessionLimits === undefined ? {} : { mcpSessionLimits: options.mcpSessionLimits }) });
      signal?.throwIfAborted();
      // Added before it starts: a remote endpoint that fails to bind must not leave the socket behind.
      add('admin server', admin);
      await admin.start();
      adminTlsAddress = admin.remoteAddress ?? '';
      if (adminTlsAddress !== '') info.adminTlsAddress = adminTlsAddress;
      if (metrics !== undefined && options.metricsListen !== undefined) {
        const collected = metrics;
        const metricsServer = new MetricsServer(options.metricsListen, () => collected.render(), options.metricsLimits);
        add('metrics endpoint', metricsServer);
        await metricsServer.start();
        info.metricsAddress = formatHostPort(metricsServer.address);
      }
      // Stopped first: watchers learn the daemon is stopping (never `cancelled`), and every
      // dispatch stays in the journal as it is, for the next run to reconcile.
      add('dispatch coordinator', { stop: () => dispatcher.stop() }, { untilDone: true });
      return new Daemon(info, started, options.logger);
    } catch (error) {
      await stopServices(started, options.logger);
      throw error;
    }
  }

  /** Stops every service in reverse order; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= stopServices(this.services, this.logger);
    return this.stopping;
  }
}

function failureFields(error: unknown): Record<string, unknown> {
  const failure = PalyraError.from(error);
  return { code: failure.code, error: failure.message };
}

/** Names and addresses the server certificate must cover for nodes to verify it. */
function certificateHosts(listenHost: string): string[] {
  if (!isWildcard(listenHost)) return [listenHost];
  const addresses = Object.values(networkInterfaces())
    .flat()
    .flatMap((entry) => (entry === undefined ? [] : [entry.address]));
  return [...new Set([hostname(), ...addresses])];
}

/** The node port's limits, its connection cap lowered to what the open-file limit allows (and the operator told). */
function connectionLimits(options: DaemonOptions): ConnectionLimits {
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits };
  const fitted = fitConnectionCap(limits.maxConnections);
  if (fitted.cap < limits.maxConnections) {
    options.logger?.info(
      { requested: limits.maxConnections, cap: fitted.cap, openFileLimit: fitted.limit },
      `the node port holds at most ${fitted.cap} connections, not ${limits.maxConnections}: the open-file limit is ${String(fitted.limit)} (raise it with ulimit -n to allow more)`,
    );
  }
  return { ...limits, maxConnections: fitted.cap };
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/**
 * Starts the QUIC endpoint as the options ask. By default it sits beside the gRPC port; a
 * platform without the QUIC binary then runs without it (the reason is reported), while an
 * explicit --quic-listen makes that a start-up error.
 */
async function startQuic(
  options: DaemonOptions,
  deps: {
    registry: NodeRegistry;
    health: NodeHealth;
    events: DaemonEvents;
    ca: CertificateAuthority;
    server: { certPem: string; keyPem: string };
  },
): Promise<{ server?: QuicNodeServer; disabledReason?: string; notice?: string }> {
  if (options.quicListen === 'disabled') return { disabledReason: 'disabled by --quic-listen off' };
  const explicit = options.quicListen !== undefined;
  const listen = options.quicListen ?? { host: options.listen.host, port: options.listen.port === 0 ? 0 : DEFAULT_QUIC_PORT };
  const create = (at: HostPort): QuicNodeServer =>
    new QuicNodeServer({
      listen: at,
      caCertPem: deps.ca.trustBundlePem,
      serverCertPem: deps.server.certPem,
      serverKeyPem: deps.server.keyPem,
      lookup: deps.registry,
      health: deps.health,
      events: deps.events,
      daemonVersion: DAEMON_VERSION,
      maxConnections: options.quicMaxConnections ?? DEFAULT_QUIC_MAX_CONNECTIONS,
      logger: options.logger,
    });
  try {
    const quic = create(listen);
    await quic.start();
    return { server: quic };
  } catch (error) {
    if (explicit || !(error instanceof PalyraError)) throw error;
    if (error.code === 'PALYRA_E_QUIC_UNAVAILABLE') return { disabledReason: error.message };
    if (error.code !== 'PALYRA_E_LISTEN_FAILED' || listen.port === 0) throw error;
    // The default port is taken (another daemon on this host?): nodes learn the QUIC address
    // at registration, so any free port serves them.
    const quic = create({ host: listen.host, port: 0 });
    await quic.start();
    return { server: quic, notice: `UDP port ${listen.port} is in use, so QUIC listens on port ${quic.address.port} (set --quic-listen to choose)` };
  }
}

