import { networkInterfaces, hostname } from 'node:os';
import { join } from 'node:path';
import { PalyraError, formatHostPort, type HostPort } from '@palyra/shared';
import { ADMIN_SOCKET_NAME, AdminServer } from './admin/AdminServer.js';
import { CertificateAuthority, StateDirectory } from './ca/index.js';
import { DispatchCoordinator, NodeCapabilities } from './dispatch/index.js';
import { PairingCodeMinter } from './pairing/PairingCodeMinter.js';
import { PairingDecisions } from './pairing/PairingDecisions.js';
import { NodeRegistry, RuntimeStateStore } from './registry/index.js';
import { NodeRpcServer } from './rpc/NodeRpcServer.js';
import { TlsCertificateProvider } from './rpc/TlsCertificateProvider.js';
import { SessionManager } from './sessions/SessionManager.js';
import { StateDirLock } from './state/StateDirLock.js';
import { DAEMON_VERSION } from './version.js';

export interface DaemonOptions {
  stateDir: string;
  listen: HostPort;
  /** Default lifetime of a pairing code. */
  codeTtlMs?: number;
  /** How long a pairing request waits for an operator. */
  requestTtlMs?: number;
  certValidityDays?: number;
  signal?: AbortSignal;
}

export interface DaemonInfo {
  grpcAddress: string;
  /** The address nodes should dial: the listen address, or this host's name when it is a wildcard. */
  advertisedAddress: string;
  quicAddress: string;
  adminSocket: string;
  caFingerprint: string;
  stateDir: string;
}

interface Service {
  stop(): Promise<void>;
}

const DEFAULT_CODE_TTL_MS = 10 * 60_000;
const MAX_CODE_TTL_MS = 24 * 60 * 60_000;
const DEFAULT_REQUEST_TTL_MS = 15 * 60_000;
const EXPIRY_SWEEP_MS = 1_000;

/**
 * The daemon's composition root: builds its services in order and stops them in reverse,
 * also when a step of start-up fails.
 */
export class Daemon {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly info: DaemonInfo,
    private readonly services: Service[],
  ) {}

  static async create(options: DaemonOptions): Promise<Daemon> {
    const { stateDir, signal } = options;
    const started: Service[] = [];
    const startedAt = new Date();
    try {
      // The lock comes first: two daemons racing on an empty dir must not both create a CA.
      await StateDirectory.open(stateDir);
      const lock = new StateDirLock(stateDir);
      await lock.acquire();
      started.push({ stop: () => lock.release() });
      const ca = await CertificateAuthority.loadOrCreate({ stateDir, signal });

      const store = await RuntimeStateStore.open({ stateDir, signal });
      const registry = new NodeRegistry(store);
      started.push({ stop: () => registry.flush() });

      const server = await ca.ensureServerCertificate({ hosts: certificateHosts(options.listen.host), signal });
      const provider = new TlsCertificateProvider({
        caCertPem: ca.caCertPem,
        serverCertPem: server.certPem,
        serverKeyPem: server.keyPem,
      });
      const sessions = new SessionManager();
      const capabilities = new NodeCapabilities();
      const dispatcher = new DispatchCoordinator({
        capabilities,
        isRegistered: (deviceId) => registry.getNode(deviceId) !== undefined,
      });
      sessions.on('online', (session) => dispatcher.nodeOnline(session.deviceId, (message) => session.send(message)));
      sessions.on('offline', (session) => dispatcher.nodeOffline(session.deviceId));
      const rpc = new NodeRpcServer(options.listen, provider, {
        registry,
        sessions,
        capabilities,
        dispatcher,
        ca,
        daemonVersion: DAEMON_VERSION,
        serverCertFingerprint: () => server.fingerprint,
        requestTtlMs: options.requestTtlMs ?? DEFAULT_REQUEST_TTL_MS,
      });
      signal?.throwIfAborted();
      await rpc.start();
      started.push({
        stop: async () => {
          sessions.closeAll(new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', 'the daemon is shutting down'));
          await rpc.stop();
        },
      });

      const sweeper = setInterval(() => {
        registry.expireRequests().catch(() => undefined);
      }, EXPIRY_SWEEP_MS);
      sweeper.unref();
      started.push({ stop: async () => clearInterval(sweeper) });

      const info: DaemonInfo = {
        grpcAddress: formatHostPort(rpc.address),
        advertisedAddress: isWildcard(options.listen.host)
          ? formatHostPort({ host: hostname(), port: rpc.address.port })
          : formatHostPort(rpc.address),
        quicAddress: 'disabled',
        adminSocket: join(stateDir, ADMIN_SOCKET_NAME),
        caFingerprint: ca.caFingerprint,
        stateDir,
      };
      const admin = new AdminServer(info.adminSocket, {
        registry,
        sessions,
        minter: new PairingCodeMinter(registry),
        decisions: new PairingDecisions(registry, ca, options.certValidityDays ?? 30),
        dispatcher,
        capabilities,
        advertisedAddress: info.advertisedAddress,
        defaultCodeTtlMs: options.codeTtlMs ?? DEFAULT_CODE_TTL_MS,
        maxCodeTtlMs: MAX_CODE_TTL_MS,
        status: () => ({
          version: DAEMON_VERSION,
          grpcAddress: info.grpcAddress,
          quicAddress: info.quicAddress,
          adminSocket: info.adminSocket,
          caFingerprint: info.caFingerprint,
          stateDir,
          startedAt: startedAt.toISOString(),
          pid: process.pid,
        }),
      });
      signal?.throwIfAborted();
      await admin.start();
      started.push(admin);
      return new Daemon(info, started);
    } catch (error) {
      await stopAll(started);
      throw error;
    }
  }

  /** Stops every service in reverse order; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= stopAll(this.services);
    return this.stopping;
  }
}

async function stopAll(services: Service[]): Promise<void> {
  for (const service of [...services].reverse()) {
    await service.stop().catch(() => undefined);
  }
}

/** Names and addresses the server certificate must cover for nodes to verify it. */
function certificateHosts(listenHost: string): string[] {
  if (!isWildcard(listenHost)) return [listenHost];
  const addresses = Object.values(networkInterfaces())
    .flat()
    .flatMap((entry) => (entry === undefined ? [] : [entry.address]));
  return [...new Set([hostname(), ...addresses])];
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}
