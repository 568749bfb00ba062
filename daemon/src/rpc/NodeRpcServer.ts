import * as grpc from '@grpc/grpc-js';
import { loadPalyraProto } from '@palyra/proto';
import { formatHostPort, type HostPort } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import { closeGrpcServer } from './closeGrpcServer.js';
import { createNodeServiceHandlers, type NodeServiceDeps } from './NodeServiceImpl.js';
import { createPairingServiceHandlers, type PairingServiceDeps } from './PairingServiceImpl.js';
import { createNodeServerCredentials, NODE_SERVER_OPTIONS } from './serverCredentials.js';
import type { TlsCertificateProvider } from './TlsCertificateProvider.js';

/** The node-facing TLS port: PairingService (no client cert) and NodeService (mTLS). */
export class NodeRpcServer {
  private server: grpc.Server | undefined;
  private boundPort = 0;

  constructor(
    private readonly listen: HostPort,
    private readonly provider: TlsCertificateProvider,
    private readonly deps: NodeServiceDeps & PairingServiceDeps,
  ) {}

  get address(): HostPort {
    return { host: this.listen.host, port: this.boundPort };
  }

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    const server = new grpc.Server(NODE_SERVER_OPTIONS);
    const proto = loadPalyraProto();
    server.addService(proto.PairingService.service, createPairingServiceHandlers(this.deps));
    server.addService(proto.NodeService.service, createNodeServiceHandlers(this.deps));
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(formatHostPort(this.listen), createNodeServerCredentials(this.provider), (error, port) => {
        if (error) {
          reject(
            new PalyraError('PALYRA_E_LISTEN_FAILED', `cannot listen on ${formatHostPort(this.listen)}: ${error.message}`, {
              cause: error,
            }),
          );
        } else resolve(port);
      });
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await closeGrpcServer(server);
  }
}
