import { chmod, rm } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { loadPalyraProto, type AdminServiceHandlers } from '@palyra/proto';
import { formatHostPort, type HostPort } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import { RateLimitedLog } from '@palyra/shared/logging';
import { createAdminServiceHandlers, type AdminServiceDeps } from './AdminServiceImpl.js';
import { gateAdminHandlers, type GateOptions } from '../access/AccessGate.js';
import { auditDenied } from '../access/auditDenied.js';
import { localOwner } from '../access/callActor.js';
import { ApprovalsWatchers } from './watchApprovalsHandler.js';
import type { Actor } from '../access/Actor.js';
import { FORWARDED_ADDRESS_HEADER, forwardedAddress } from '../access/forwardedAddress.js';
import { AuthDeadline } from './AuthDeadline.js';
import { createAdminHttpServer, type AdminHttpServer } from './http/createAdminHttpServer.js';
import type { McpSessionLimits } from './http/McpSessions.js';
import { RemoteAdminListener } from './RemoteAdminListener.js';
import { closeGrpcServer } from '../rpc/closeGrpcServer.js';
import type { ConnectionLimits } from '../rpc/ConnectionGuard.js';
import type { TlsCertificateProvider } from '../rpc/TlsCertificateProvider.js';

export { ADMIN_SOCKET_NAME } from './socketName.js';

/** The remote admin endpoint (`--admin-listen`): where, with which certificate, and who may call. */
export interface AdminRemoteOptions {
  listen: HostPort;
  provider: TlsCertificateProvider;
  connectionLimits?: ConnectionLimits;
  /** Bounds of the HTTP API's MCP sessions (default MCP_SESSION_LIMITS). */
  mcpSessionLimits?: McpSessionLimits;
}

/**
 * Operators are few: a few hundred connections in all, 32 from one address, 10 s for TLS and
 * the HTTP/2 preface.
 */
export const ADMIN_CONNECTION_LIMITS: ConnectionLimits = { handshakeTimeoutMs: 10_000, maxConnections: 256, maxConnectionsPerAddress: 32 };

/**
 * How long a remote admin connection may go without an authenticated call once TLS is up: a
 * client makes its call at once; a peer with no token must not hold a connection slot.
 */
export const ADMIN_AUTH_TIMEOUT_MS = 10_000;

/**
 * Options of the remote admin server. Keepalive finds a vanished operator (an open `events`
 * stream) within 30 s; an idle connection goes after 5 minutes; 1 MiB messages (as the
 * socket); 64 calls at once per connection; no channelz.
 */
export const ADMIN_TLS_SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_connection_idle_ms': 5 * 60_000,
  'grpc.max_receive_message_length': 1024 * 1024,
  'grpc.max_concurrent_streams': 64,
  'grpc.enable_channelz': 0,
};

/**
 * The admin API. On a Unix socket in the state dir, always: access control is the file
 * system's (the socket is 0600 inside a 0700 directory), so its caller is the local owner (or
 * the API token it presents: the HTTP API calls so for its clients). With `remote`, also over
 * TLS on a TCP port, where every call presents an API token (`authorization: Bearer pyt_...`),
 * is rate limited per token, and may do only what the token's role, scopes and node selector
 * allow; the same port serves the HTTP API (MCP, OpenAI formats) to clients that choose
 * http/1.1 (RemoteAdminListener).
 */
export class AdminServer {
  private server: grpc.Server | undefined;
  private remoteRuntime: { server: grpc.Server; listener: RemoteAdminListener; http: AdminHttpServer } | undefined;
  private remoteLog: RateLimitedLog | undefined;
  private remotePort = 0;
  private readonly watchers = new ApprovalsWatchers();

  constructor(
    private readonly socketPath: string,
    private readonly deps: AdminServiceDeps,
    private readonly remote?: AdminRemoteOptions,
  ) {}

  /** HOST:PORT of the remote endpoint once started, or undefined when it is off. */
  get remoteAddress(): string | undefined {
    return this.remote === undefined || this.remoteRuntime === undefined ? undefined : formatHostPort({ host: this.remote.listen.host, port: this.remotePort });
  }

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    // A socket left by a daemon that crashed; the state-dir lock proved no daemon owns it.
    await rm(this.socketPath, { force: true });
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 1024 * 1024 });
    const handlers = createAdminServiceHandlers(this.deps, { watchers: this.watchers });
    const gate: GateOptions = { onForbidden: (actor, method, error) => auditDenied(this.deps.audit, this.deps.logger, actor, String(method), error) };
    // The socket's caller is the daemon's own user (0600 socket in a 0700 dir): the local owner,
    // unless it presents an API token (the daemon's HTTP API calls as the token of its client):
    // then exactly that token, charged and stream-counted as on the remote endpoint.
    const owner = localOwner();
    const tokens = this.deps.tokens;
    server.addService(
      loadPalyraProto().AdminService.service,
      gateAdminHandlers(
        handlers,
        async (call, method) => {
          const header = call.metadata.get('authorization')[0];
          if (header === undefined) return owner;
          // A caller that presents a token asks for that token's rights: never the owner's instead.
          if (tokens === undefined) throw new PalyraError('PALYRA_E_UNAUTHENTICATED', 'this daemon has no token service: call the socket without a token');
          const actor = tokens.authenticate(typeof header === 'string' ? header : undefined, forwardedAddress(call.metadata.get(FORWARDED_ADDRESS_HEADER)[0], 'unix'));
          if (method !== 'InvokeMany') tokens.charge(actor);
          return actor;
        },
        { ...gate, ...(tokens === undefined ? {} : { openStream: (actor: Actor) => tokens.openStream(actor) }) },
      ),
    );
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix://${this.socketPath}`, grpc.ServerCredentials.createInsecure(), (error) => {
        if (error) {
          reject(new PalyraError('PALYRA_E_LISTEN_FAILED', `cannot listen on admin socket ${this.socketPath}: ${error.message}`, { cause: error }));
        } else resolve();
      });
    });
    await chmod(this.socketPath, 0o600);
    this.server = server;
    if (this.remote !== undefined) await this.startRemote(this.remote, handlers, gate);
  }

  private async startRemote(remote: AdminRemoteOptions, handlers: AdminServiceHandlers, gate: GateOptions): Promise<void> {
    const tokens = this.deps.tokens;
    if (tokens === undefined) throw new PalyraError('PALYRA_E_INTERNAL', 'the remote admin endpoint needs the token service');
    const server = new grpc.Server(ADMIN_TLS_SERVER_OPTIONS);
    const log = this.deps.logger === undefined ? undefined : new RateLimitedLog({ logger: this.deps.logger });
    const deadline = new AuthDeadline(ADMIN_AUTH_TIMEOUT_MS, log);
    server.addService(
      loadPalyraProto().AdminService.service,
      gateAdminHandlers(
        handlers,
        async (call, method) => {
          const header = call.metadata.get('authorization')[0];
          const actor = tokens.authenticate(typeof header === 'string' ? header : undefined, call.getPeer());
          deadline.authenticated(call.getPeer());
          // InvokeMany is charged per request on its stream (invokeManyHandler), not at open.
          if (method !== 'InvokeMany') tokens.charge(actor);
          return actor;
        },
        // Streams are counted per token: each may hold megabytes of unread answers.
        { ...gate, openStream: (actor) => tokens.openStream(actor) },
      ),
    );
    const http = createAdminHttpServer({
      tokens,
      deadline,
      socketPath: this.socketPath,
      ...(this.deps.audit === undefined ? {} : { audit: this.deps.audit }),
      ...(this.deps.logger === undefined ? {} : { logger: this.deps.logger }),
      ...(log === undefined ? {} : { log }),
      ...(remote.mcpSessionLimits === undefined ? {} : { mcpLimits: remote.mcpSessionLimits }),
    });
    const listener = new RemoteAdminListener({
      listen: remote.listen,
      provider: remote.provider,
      limits: remote.connectionLimits ?? ADMIN_CONNECTION_LIMITS,
      deadline,
      grpcServer: server,
      httpServer: http.server,
      ...(log === undefined ? {} : { log }),
    });
    try {
      this.remotePort = await listener.start();
    } catch (error) {
      await listener.close();
      await http.close();
      server.forceShutdown();
      log?.stop();
      throw error;
    }
    this.remoteLog = log;
    this.remoteRuntime = { server, listener, http };
  }

  async stop(): Promise<void> {
    const server = this.server;
    const remote = this.remoteRuntime;
    this.server = undefined;
    this.remoteRuntime = undefined;
    if (server === undefined) return;
    // Operators' watch streams would hold a graceful shutdown open until it is forced.
    this.watchers.closeAll(new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', 'the daemon is shutting down'));
    // The HTTP API first: its MCP sessions are clients of the socket's server.
    await remote?.http.close();
    await Promise.all([closeGrpcServer(server), ...(remote === undefined ? [] : [closeGrpcServer(remote.server), remote.listener.close()])]);
    this.remoteLog?.stop();
    this.remoteLog = undefined;
    await rm(this.socketPath, { force: true });
  }
}
