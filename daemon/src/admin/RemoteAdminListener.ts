import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer, type SecureContextOptions, type TLSSocket, type TlsOptions } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { formatHostPort, type HostPort } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import type { RateLimitedLog } from '@palyra/shared/logging';
import { ConnectionGuard, type ConnectionLimits } from '../rpc/ConnectionGuard.js';
import type { TlsCertificateProvider } from '../rpc/TlsCertificateProvider.js';
import { adminContextOptions } from './adminTlsCredentials.js';
import type { AuthDeadline } from './AuthDeadline.js';

export interface RemoteAdminListenerOptions {
  listen: HostPort;
  provider: TlsCertificateProvider;
  limits: ConnectionLimits;
  deadline: AuthDeadline;
  /** Serves the connections that chose `h2` (gRPC): TLS is already done when they reach it. */
  grpcServer: grpc.Server;
  /** Serves the connections that chose `http/1.1` (or offered no protocol at all). */
  httpServer: HttpServer;
  log?: RateLimitedLog;
}

/**
 * The ALPN protocol a connection gets: `http/1.1` whenever the client offers it (browsers,
 * curl, undici, the MCP SDK's fetch), else `h2` (gRPC clients offer only that). Undefined
 * refuses the handshake (no_application_protocol): nothing else is served here.
 */
export function chooseAdminProtocol(offered: readonly string[]): string | undefined {
  if (offered.includes('http/1.1')) return 'http/1.1';
  if (offered.includes('h2')) return 'h2';
  return undefined;
}

/**
 * The options of the endpoint's TLS server around the admin TLS context: no client
 * certificate, ALPN routing, and TCP_NODELAY on every accepted connection. An HTTP answer
 * leaves in several small writes (an MCP answer is an SSE event, then the end of the chunked
 * body): with Nagle's algorithm each write after the first waits for the client's delayed ACK,
 * 40 ms per MCP request on Linux (bench/tools.mjs: 44 ms median per tools/call, 7 ms without).
 */
export function adminListenerOptions(context: SecureContextOptions): TlsOptions {
  return { ...context, requestCert: false, noDelay: true, ALPNCallback: ({ protocols }) => chooseAdminProtocol(protocols) };
}

/**
 * The remote admin endpoint's TCP port: one TLS listener (the admin certificate chain,
 * NODE_TLS_POLICY, following every certificate renewal) that routes each connection by ALPN to
 * the gRPC admin API or to the HTTP API. The listener is ours, not grpc-js's, so the connection
 * caps and the handshake timeout (ConnectionGuard: TCP accept to the end of TLS) and the
 * deadline to authenticate (AuthDeadline: from the end of TLS) apply to both protocols alike.
 */
export class RemoteAdminListener {
  private readonly server: TlsServer;
  private readonly sockets = new Set<Socket>();
  private readonly injector: ReturnType<grpc.Server['createConnectionInjector']>;
  private readonly unsubscribe: () => void;
  private port = 0;

  constructor(private readonly options: RemoteAdminListenerOptions) {
    const { provider, deadline, httpServer } = options;
    const guard = new ConnectionGuard(options.limits, options.log);
    // TLS is done here: grpc-js gets a connection that is already secure (public API since 1.11).
    this.injector = options.grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    this.server = new TlsServer(adminListenerOptions(adminContextOptions(provider.material)));
    // setSecureContext replaces the whole context: adminContextOptions carries the policy too.
    this.unsubscribe = provider.onUpdate((material) => this.server.setSecureContext(adminContextOptions(material)));
    guard.attachListener(this.server);
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('secureConnection', (socket: TLSSocket) => {
      guard.handshakeDone(socket);
      deadline.watch(socket);
      if (socket.alpnProtocol === 'h2') this.injector.injectConnection(socket);
      else httpServer.emit('connection', socket);
    });
    // A failed handshake (wrong protocol, bad TLS) destroys the socket; nothing to log per peer.
    this.server.on('tlsClientError', () => undefined);
  }

  /** The bound port. */
  async start(): Promise<number> {
    const { listen } = this.options;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(new PalyraError('PALYRA_E_LISTEN_FAILED', `cannot listen on the admin endpoint ${formatHostPort(listen)}: ${error.message}`, { cause: error }));
      };
      this.server.once('error', onError);
      this.server.listen({ host: listen.host, port: listen.port }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const address = this.server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : listen.port;
    return this.port;
  }

  /** Stops accepting, ends the gRPC sessions and drops every connection left. */
  async close(): Promise<void> {
    this.unsubscribe();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.injector.destroy();
    this.options.httpServer.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
