import { PalyraError } from '@palyra/shared/errors';
import type { SecretStore } from '@palyra/shared/vault';
import { loadAgentConfig } from './config/index.js';
import { NodeConnection, type NodeConnectionEvents, type NodeWork } from './connection/NodeConnection.js';
import { ResultOutbox, type OutboxLimits } from './connection/ResultOutbox.js';
import { RunningDispatches } from './connection/RunningDispatches.js';
import { HealthChannel, type HealthChannelOptions, type TransportFallback, type TransportStatus } from './connection/HealthChannel.js';
import { SessionHealth } from './connection/SessionHealth.js';
import { RuntimeStatusWriter } from './status/RuntimeStatus.js';
import type { IdentityStore, NodeIdentity } from './identity/index.js';
import type { PluginLogger } from '@palyra/shared/plugins';
import { PluginHost, stderrLogger } from './plugins/index.js';
import { wallNow } from './clock/wallClock.js';
import { IdentityHolder, IdentityKeeper, NodeCertificateLifecycle, RenewalManager, type RenewalStatus } from './renewal/index.js';

export interface NodeAgentOptions extends NodeConnectionEvents {
  store: IdentityStore;
  /** Explicit config file (else PALYRA_NODE_CONFIG, else cosmiconfig's search). */
  configPath?: string;
  /** The node's scoped secrets; each plugin sees its own scope as `ctx.secrets`. */
  secrets?: () => Promise<SecretStore>;
  signal?: AbortSignal;
  /** When QUIC fails: auto (fall back to gRPC), never (fatal), always (gRPC only). Default auto. */
  transportFallback?: TransportFallback;
  /** Use this QUIC endpoint instead of the one the daemon announces. */
  quicAddress?: string;
  /** Health ping period (default 10 s), QUIC handshake timeout (5 s), QUIC retry on gRPC (60 s). */
  healthIntervalMs?: number;
  quicConnectTimeoutMs?: number;
  quicRetryMs?: number;
  /** Loads @matrixai/quic (tests play a platform without the binary). */
  loadQuic?: HealthChannelOptions['loadQuic'];
  /** Where the running agent keeps its status for `palyra-node status` (0600); none when omitted. */
  statusFile?: string;
  /** The health/events transport changed (quic, grpc, and why). */
  onTransport?: (status: TransportStatus) => void;
  onHealth?: HealthChannelOptions['onHealth'];
  /** This node's own dispatch events, as the daemon streams them over QUIC. */
  onDaemonEvent?: HealthChannelOptions['onEvent'];
  /** The node's state directory: plugins get their own directory in it (`ctx.dataDir`). */
  stateDir?: string;
  /** Where plugins' log lines go (default: warnings and errors on stderr). */
  pluginLogger?: PluginLogger;
  /** Where the agent's own log lines go (default: warnings and errors on stderr). */
  logger?: PluginLogger;
  /** Bounds of the result outbox (`<stateDir>/outbox`; in memory without a stateDir). Default 1,000 results, 64 MiB. */
  outboxLimits?: OutboxLimits;
  /** The certificate was renewed (stored, and the connections switch to it). */
  onRenewed?: (info: { path: 'mtls' | 'grace'; certExpiresAt: string; reason: string }) => void;
  /** The certificate in use expired (every renewal failed): the Session and QUIC were closed. */
  onCertificateExpired?: (message: string) => void;
}

/**
 * The agent's composition root: identity, then config and plugins, then the connection to
 * the daemon. `run()` resolves when stopped and rejects when the daemon refuses this node
 * for good; either way the plugins are disposed.
 */
export class NodeAgent {
  private readonly controller = new AbortController();

  private constructor(
    private readonly holder: IdentityHolder,
    readonly plugins: PluginHost,
    private readonly connection: NodeConnection,
    private readonly health: HealthChannel,
    private readonly status: RuntimeStatusWriter | undefined,
    private readonly work: NodeWork,
    private readonly renewal: RenewalManager,
  ) {}

  /** The identity in use right now (renewal replaces it). */
  get identity(): NodeIdentity {
    return this.holder.current;
  }

  /** The certificate schedule: next renewal, last result. */
  get renewalStatus(): RenewalStatus {
    return this.renewal.status;
  }

  /** The results this node holds until the daemon acknowledges them. */
  get outbox(): ResultOutbox {
    return this.work.outbox;
  }

  /** The transport health and events use right now. */
  get transport(): TransportStatus | undefined {
    return this.health.status;
  }

  static async create(options: NodeAgentOptions): Promise<NodeAgent> {
    const identity = await options.store.load({ signal: options.signal });
    if (identity === undefined) {
      throw new PalyraError('PALYRA_E_NOT_JOINED', 'this node has no identity: run palyra-node join --pin <PIN> --daemon HOST:PORT first');
    }
    const { config, baseDir } = await loadAgentConfig({ explicitPath: options.configPath });
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const secrets = options.secrets === undefined ? undefined : await options.secrets();
    const plugins = await PluginHost.load({
      config,
      baseDir,
      signal: controller.signal,
      logger: options.pluginLogger ?? stderrLogger,
      ...(secrets === undefined ? {} : { secrets }),
      ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    });
    const fallback = options.transportFallback ?? 'auto';
    const status =
      options.statusFile === undefined
        ? undefined
        : new RuntimeStatusWriter(options.statusFile, { deviceId: identity.deviceId, daemon: identity.daemonAddress, fallback });
    const logger = options.logger ?? stderrLogger;
    // One identity for every connection, replaced by renewal: stored first, then switched to.
    const holder = new IdentityHolder(identity);
    const keeper = new IdentityKeeper(options.store, holder);
    // Health on gRPC rides the Session stream the connection keeps open.
    const sessionHealth = new SessionHealth();
    const health = new HealthChannel({
      identity: holder,
      fallback,
      sessionHealth,
      ...(options.pinnedFingerprint === undefined ? {} : { pinnedFingerprint: options.pinnedFingerprint }),
      ...(options.quicAddress === undefined ? {} : { quicAddress: options.quicAddress }),
      ...(options.healthIntervalMs === undefined ? {} : { intervalMs: options.healthIntervalMs }),
      ...(options.quicConnectTimeoutMs === undefined ? {} : { quicConnectTimeoutMs: options.quicConnectTimeoutMs }),
      ...(options.quicRetryMs === undefined ? {} : { quicRetryMs: options.quicRetryMs }),
      ...(options.loadQuic === undefined ? {} : { loadQuic: options.loadQuic }),
      onStatus: (transport) => {
        status?.transport(transport);
        options.onTransport?.(transport);
      },
      onHealth: (sample) => {
        status?.health(sample);
        options.onHealth?.(sample);
      },
      ...(options.onDaemonEvent === undefined ? {} : { onEvent: options.onDaemonEvent }),
    });
    const limits = options.outboxLimits === undefined ? {} : { limits: options.outboxLimits };
    let outbox: ResultOutbox;
    try {
      outbox = options.stateDir === undefined ? ResultOutbox.inMemory(logger, options.outboxLimits) : await ResultOutbox.open(options.stateDir, { deviceId: identity.deviceId, logger, ...limits });
    } catch (error) {
      await plugins.dispose();
      throw error;
    }
    const work: NodeWork = { outbox, dispatches: new RunningDispatches(plugins, outbox) };
    const now = (): Date => new Date(wallNow());
    // The connection is built after the renewal manager (it needs its lifecycle); expiry reaches it through this.
    const live: { connection?: NodeConnection } = {};
    const renewal = new RenewalManager({
      keeper,
      logger,
      now,
      ...(options.pinnedFingerprint === undefined ? {} : { pinnedFingerprint: options.pinnedFingerprint }),
      onStatus: (renewalStatus) => status?.renewal(renewalStatus),
      onExpired: (message) => {
        // Expiry is enforced on this node's own connections too (the daemon does it on its
        // side): nothing rides a certificate past its notAfter.
        logger.error(message);
        options.onCertificateExpired?.(message);
        live.connection?.interrupt('expired', message);
        health.interrupt();
      },
      ...(options.onRenewed === undefined ? {} : { onRenewed: options.onRenewed }),
    });
    const lifecycle = new NodeCertificateLifecycle(keeper, renewal, logger, now);
    const connection = new NodeConnection(holder, plugins, {
      ...options,
      ...(config.labels === undefined ? {} : { labels: config.labels }),
      sessionHealth,
      lifecycle,
      onRegistered: (info) => {
        health.announce(info.quicAddress);
        options.onRegistered?.(info);
      },
    }, work);
    live.connection = connection;
    const agent = new NodeAgent(holder, plugins, connection, health, status, work, renewal);
    options.signal?.removeEventListener('abort', onAbort);
    options.signal?.addEventListener('abort', () => agent.stop(), { once: true });
    return agent;
  }

  /**
   * Runs the gRPC connection (registration, dispatches) and the health/events channel side by
   * side. When either fails for good, the other stops and run() rejects with that failure.
   */
  async run(): Promise<void> {
    const { signal } = this.controller;
    let failure: unknown;
    const fail = (error: unknown): void => {
      failure ??= error;
      this.controller.abort();
    };
    try {
      const health = this.health.run({ signal }).catch(fail);
      const renewal = this.renewal.run({ signal }).catch(fail);
      await this.connection.run({ signal }).catch(fail);
      await Promise.all([health, renewal]);
      if (failure !== undefined) throw failure;
    } finally {
      await this.status?.remove();
      // The session is over: what still runs is cancelled, and its result joins the others
      // in the outbox (on disk) for the next run to deliver.
      await Promise.all([this.work.dispatches.stop(), this.plugins.dispose()]);
      await this.work.outbox.settled();
    }
  }

  stop(): void {
    this.controller.abort();
  }
}
