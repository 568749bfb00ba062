import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import { formatHostPort } from '@palyra/shared/config';
import type { PalyraError } from '@palyra/shared/errors';
import type { Logger, RateLimitedLog } from '@palyra/shared/logging';
import type { TokenActor } from '../../access/Actor.js';
import { auditDenied } from '../../access/auditDenied.js';
import type { TokenService } from '../../access/TokenService.js';
import type { AuditSink } from '../../audit/types.js';
import { ControlClient } from '../../client/ControlClient.js';
import type { AuthDeadline } from '../AuthDeadline.js';
import { ConnectionClients, type AdminClientLease } from './ConnectionClients.js';
import { MCP_SESSION_LIMITS, McpSessions, type McpSessionLimits } from './McpSessions.js';
import { sendError } from './openAiError.js';
import { callOpenAiTools, listOpenAiTools } from './openAiTools.js';
import { routeHttpRequest, type HttpRoutes } from './routes.js';
import { WriteStallGuard } from './WriteStallGuard.js';

/** How long a client may take to send a request's headers, and the whole request. */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;
export const HTTP_REQUEST_TIMEOUT_MS = 60_000;
/** An idle keep-alive connection goes after this. */
export const HTTP_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** A connection whose pending answer has not moved for this long (its peer reads nothing) is closed. */
export const HTTP_WRITE_STALL_MS = 30_000;
/** How often node:http looks for requests over those timeouts. */
const HTTP_TIMEOUT_CHECK_MS = 1_000;

/** One authenticated HTTP request: its token (as presented, to call the admin socket as it) and peer. */
export interface HttpCaller {
  actor: TokenActor;
  /** The bearer token presented; only ever sent back to the daemon's own socket. */
  token: string;
  /** `address:port` of the HTTP client. */
  remoteAddress: string;
  /** Records a refusal of the HTTP layer's own (auth.denied, the token as actor, this peer). */
  refused(method: string, error: PalyraError): void;
  /** Opens an admin client on the daemon's socket acting as this token, for this peer (the caller closes it). */
  connect(signal?: AbortSignal): Promise<ControlClient>;
  /** This connection's admin client as this token, kept for its next requests (ConnectionClients): for one request's calls. */
  lease(): Promise<AdminClientLease>;
}

export interface AdminHttpOptions {
  tokens: TokenService;
  deadline: AuthDeadline;
  /** The admin socket the HTTP API calls through, as each request's token. */
  socketPath: string;
  logger?: Logger;
  /** Where the HTTP layer's own refusals are recorded (no compat.tools.call). */
  audit?: AuditSink;
  /** The remote endpoint's rate-limited log (connections closed for a peer's behaviour). */
  log?: RateLimitedLog;
  mcpLimits?: McpSessionLimits;
}

export interface AdminHttpServer {
  readonly server: Server;
  /** Ends every MCP session and open request. */
  close(): Promise<void>;
}

/**
 * The HTTP API of the remote admin endpoint (the connections whose client chose http/1.1):
 * `/mcp` (MCP Streamable HTTP), `GET /v1/tools` and `POST /v1/tool_calls`. Every request
 * presents `Authorization: Bearer pyt_...`, checked by the TokenService (failed-auth throttle
 * per address, the token's rate charged per request); the API then talks to the daemon's own
 * admin socket as that token, so every permission, scope, node selector and audit entry is
 * the admin API's own. The server never listens itself: RemoteAdminListener hands it
 * connections.
 */
export function createAdminHttpServer(options: AdminHttpOptions): AdminHttpServer {
  const stateDir = dirname(options.socketPath);
  const routes: HttpRoutes = createRoutes(options);
  const clients = new ConnectionClients();
  const server = createServer(
    {
      headersTimeout: HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeout: HTTP_KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: HTTP_TIMEOUT_CHECK_MS,
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      void handle(req, res).catch((error: unknown) => sendError(res, error));
    },
  );
  // node:http tracks its connections, and so enforces headersTimeout and requestTimeout (and
  // closeAllConnections finds anything), only from its 'listening' event on. This server never
  // listens (RemoteAdminListener hands it connections): without this, a token holder's request
  // body could trickle in for ever and hold the connection.
  server.emit('listening');
  const stalls = new WriteStallGuard(HTTP_WRITE_STALL_MS, (socket) =>
    options.log?.note('info', 'admin-http-write-stall', { remoteAddress: socket.remoteAddress, stallMs: HTTP_WRITE_STALL_MS }, `closed an admin HTTP connection whose client read nothing for ${HTTP_WRITE_STALL_MS} ms`),
  );
  server.on('connection', (socket: Socket) => stalls.watch(socket));
  // A keep-alive connection is recycled now and then; its requests are charged one by one anyway.
  server.maxRequestsPerSocket = 1000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // `address:port`, IPv6 bracketed, as the audit log shows remote peers.
    const remoteAddress = formatHostPort({ host: req.socket.remoteAddress ?? 'unknown', port: req.socket.remotePort ?? 0 });
    const header = req.headers.authorization;
    const actor = options.tokens.authenticate(typeof header === 'string' ? header : undefined, remoteAddress);
    options.deadline.authenticatedConnection(req.socket);
    options.tokens.charge(actor);
    const token = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
    const caller: HttpCaller = {
      actor,
      token,
      remoteAddress,
      refused: (method, error) => auditDenied(options.audit, options.logger, actor, method, error),
      connect: (signal) => ControlClient.connect(stateDir, { as: { token, remoteAddress }, ...(signal ? { signal } : {}) }),
      lease: () => clients.lease(req.socket, token, remoteAddress, actor.signal, (signal) => ControlClient.connect(stateDir, { as: { token, remoteAddress }, signal })),
    };
    await routeHttpRequest(routes, req, res, caller);
  }

  return {
    server,
    async close() {
      await routes.close();
      clients.closeAll();
      server.closeAllConnections();
      // Stops the timeout checks started by 'listening' (the server itself never listened).
      server.close();
      stalls.close();
    },
  };
}

function createRoutes(options: AdminHttpOptions): HttpRoutes {
  const sessions = new McpSessions(options.mcpLimits ?? MCP_SESSION_LIMITS, options.logger);
  return {
    mcp: (req, res, caller) => sessions.handle(req, res, caller),
    listTools: listOpenAiTools,
    callTools: callOpenAiTools,
    close: () => sessions.closeAll(),
  };
}
