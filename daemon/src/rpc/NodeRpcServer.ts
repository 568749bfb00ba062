import * as grpc from '@grpc/grpc-js';
import { loadPalyraProto } from '@palyra/proto';
import { formatHostPort, type HostPort } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import { RateLimitedLog } from '@palyra/shared/logging';
import { closeGrpcServer } from './closeGrpcServer.js';
import { ConnectionGuard, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './ConnectionGuard.js';
import { grpcHttp2Servers } from './grpcHttp2Servers.js';
import { createNodeServiceHandlers, type NodeServiceDeps } from './NodeServiceImpl.js';
import { createPairingServiceHandlers, type PairingServiceDeps } from './PairingServiceImpl.js';
import { createRenewCertificateHandler, type RenewalServiceDeps } from '../renewal/RenewalService.js';
import { RefusedClientCertificates } from './RefusedClientCertificates.js';
import { createNodeServerCredentials, NODE_SERVER_OPTIONS } from './serverCredentials.js';
import type { TlsCertificateProvider } from './TlsCertificateProvider.js';

/** What the renewal service needs beyond the shared deps (registry, CA, logger). */
export type RenewalSettings = Omit<RenewalServiceDeps, 'registry' | 'ca' | 'logger' | 'peerLog'>;

export interface NodeRpcServerOptions {
  /** Connection caps and the handshake deadline (default DEFAULT_CONNECTION_LIMITS). */
  connectionLimits?: ConnectionLimits;
  /** Interval of the summaries of peer-triggered log lines (default 60 s). */
  peerLogIntervalMs?: number;
}

/** The node-facing TLS port: PairingService (no client cert) and NodeService (mTLS). */
export class NodeRpcServer {
  private server: grpc.Server | undefined;
  private peerLog: RateLimitedLog | undefined;
  private boundPort = 0;

  constructor(
    private readonly listen: HostPort,
    private readonly provider: TlsCertificateProvider,
    private readonly deps: NodeServiceDeps & PairingServiceDeps & { renewal: RenewalSettings },
    private readonly options: NodeRpcServerOptions = {},
  ) {}

  get address(): HostPort {
    return { host: this.listen.host, port: this.boundPort };
  }

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    const server = new grpc.Server(NODE_SERVER_OPTIONS);
    const proto = loadPalyraProto();
    // Lines any peer can trigger (refused connections, failed or refused pairings) are rate limited.
    const peerLog = this.deps.logger === undefined ? undefined : new RateLimitedLog({ logger: this.deps.logger, intervalMs: this.options.peerLogIntervalMs });
    const refused = new RefusedClientCertificates(() => this.provider.material.caCertPem);
    const guard = new ConnectionGuard(this.options.connectionLimits ?? DEFAULT_CONNECTION_LIMITS, peerLog);
    server.addService(proto.PairingService.service, createPairingServiceHandlers({ ...this.deps, peerLog }));
    server.addService(
      proto.NodeService.service,
      createNodeServiceHandlers({
        ...this.deps,
        refusedCertificate: (peer, now) => refused.problem(peer, now),
        renewCertificate: createRenewCertificateHandler({
          ...this.deps.renewal,
          registry: this.deps.registry,
          ca: this.deps.ca,
          ...(this.deps.logger === undefined ? {} : { logger: this.deps.logger }),
          ...(peerLog === undefined ? {} : { peerLog }),
        }),
      }),
    );
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(formatHostPort(this.listen), createNodeServerCredentials(this.provider), (error, port) => {
        if (error) {
          reject(
            new PalyraError('PALYRA_E_LISTEN_FAILED', `cannot listen on ${formatHostPort(this.listen)}: ${error.message}`, {
              cause: error,
            }),
          );
          return;
        }
        // In the tick that finished binding: no connection can have been accepted before.
        try {
          for (const http2Server of grpcHttp2Servers(server)) {
            guard.attach(http2Server);
            refused.attach(http2Server);
          }
          resolve(port);
        } catch (hookError) {
          server.forceShutdown();
          reject(hookError);
        }
      });
    });
    this.server = server;
    this.peerLog = peerLog;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await closeGrpcServer(server);
    this.peerLog?.stop();
    this.peerLog = undefined;
  }
}
