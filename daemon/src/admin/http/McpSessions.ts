import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { PalyraError } from '@palyra/shared/errors';
import type { Logger } from '@palyra/shared/logging';
import type { ControlClient } from '../../client/ControlClient.js';
import { createToolsMcpServer, type ToolsMcpServer } from '../../tools/mcp/createToolsMcpServer.js';
import type { HttpCaller } from './createAdminHttpServer.js';
import { sendError } from './openAiError.js';
import { readJsonBody } from './readJsonBody.js';

export interface McpSessionLimits {
  /** Sessions one token holds at once. */
  perToken: number;
  /** Sessions the endpoint holds at once. */
  total: number;
  /** A session with no request open for this long is closed. */
  idleMs: number;
}

/**
 * Each session holds an admin client, an event stream (list_changed) and up to 16 running
 * calls: 8 per token and 128 in all keep that bounded; 10 minutes idle is a client that left
 * without DELETE.
 */
export const MCP_SESSION_LIMITS: McpSessionLimits = { perToken: 8, total: 128, idleMs: 10 * 60_000 };

const SESSION_HEADER = 'mcp-session-id';

interface McpSession {
  tokenId: string;
  transport: StreamableHTTPServerTransport;
  mcp: ToolsMcpServer;
  client: ControlClient;
  /** Requests of the session open now (an SSE stream counts while it is open). */
  open: number;
  idle: NodeJS.Timeout | undefined;
  detach?: () => void;
  close(): Promise<void>;
}

/**
 * The `/mcp` endpoint: MCP Streamable HTTP sessions (stateful), one MCP server each
 * (createToolsMcpServer) on an admin client that acts as the token that created the session.
 * A session belongs to that token: another token naming its id gets 404, as an unknown id does.
 * Sessions are bounded per token and in total, close when idle, when their token is revoked or
 * expires, on DELETE, and when the daemon stops.
 */
export class McpSessions {
  private readonly sessions = new Map<string, McpSession>();
  /** Sessions being created (counted against the limits before their id exists). */
  private readonly creating = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly limits: McpSessionLimits = MCP_SESSION_LIMITS,
    private readonly logger?: Logger,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  async handle(req: IncomingMessage, res: ServerResponse, caller: HttpCaller): Promise<void> {
    const method = req.method ?? 'GET';
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      res.writeHead(405, { allow: 'GET, POST, DELETE' }).end();
      return;
    }
    const body = method === 'POST' ? await readJsonBody(req) : undefined;
    const id = req.headers[SESSION_HEADER];
    if (typeof id === 'string') {
      const session = this.sessions.get(id);
      // Another token's session is answered as an unknown one: its existence is not told.
      if (session === undefined || session.tokenId !== caller.actor.tokenId) {
        sendError(res, new PalyraError('PALYRA_E_HTTP_NOT_FOUND', 'no MCP session with this Mcp-Session-Id belongs to this token: initialize a new one'));
        return;
      }
      await this.serve(session, req, res, body);
      return;
    }
    if (method !== 'POST' || !isInitializeRequest(body)) {
      sendError(res, new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'a request without Mcp-Session-Id must be a POST of an initialize request'));
      return;
    }
    await this.create(req, res, caller, body);
  }

  /** Closes every session (the daemon stops). */
  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sessions.values()].map((session) => session.close()));
  }

  private async create(req: IncomingMessage, res: ServerResponse, caller: HttpCaller, body: unknown): Promise<void> {
    const { tokenId } = caller.actor;
    if (this.closed) throw new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', 'the daemon is shutting down');
    const held = [...this.sessions.values()].filter((s) => s.tokenId === tokenId).length + (this.creating.get(tokenId) ?? 0);
    const total = this.sessions.size + [...this.creating.values()].reduce((a, b) => a + b, 0);
    if (held >= this.limits.perToken) {
      throw new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `token ${tokenId} already holds ${this.limits.perToken} MCP sessions: end one (DELETE /mcp) or wait for one to idle out`, {
        details: { limit: this.limits.perToken },
      });
    }
    if (total >= this.limits.total) throw new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `the daemon holds its maximum of ${this.limits.total} MCP sessions`, { details: { limit: this.limits.total } });
    this.creating.set(tokenId, (this.creating.get(tokenId) ?? 0) + 1);
    let client: ControlClient | undefined;
    let session: McpSession | undefined;
    try {
      client = await caller.connect(caller.actor.signal);
      session = this.open(client, caller);
      await session.mcp.server.connect(session.transport);
      // The session counts as `creating` until the transport has given it its id (during the
      // initialize request): concurrent initializations cannot overshoot the limits.
      await this.serve(session, req, res, body);
    } finally {
      const left = (this.creating.get(tokenId) ?? 1) - 1;
      if (left === 0) this.creating.delete(tokenId);
      else this.creating.set(tokenId, left);
      // An initialize that failed or was refused leaves a session that never got an id.
      const id = session?.transport.sessionId;
      if (session === undefined) client?.close();
      else if (id === undefined || this.sessions.get(id) !== session) await session.close();
    }
  }

  /** A session's parts: its MCP server on `client`, its transport, and how it closes. */
  private open(client: ControlClient, caller: HttpCaller): McpSession {
    const { tokenId, signal } = caller.actor;
    const mcp = createToolsMcpServer(client, { ...(this.logger === undefined ? {} : { logger: this.logger }), onRefused: (error) => caller.refused('tools/call', error) });
    let closing: Promise<void> | undefined;
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => this.register(sessionId, session, signal),
      onsessionclosed: () => void session.close(),
    });
    const session: McpSession = {
      tokenId,
      transport,
      mcp,
      client,
      open: 0,
      idle: undefined,
      close: () => {
        closing ??= (async () => {
          clearTimeout(session.idle);
          session.detach?.();
          for (const [key, value] of this.sessions) if (value === session) this.sessions.delete(key);
          await mcp.close().catch(() => undefined);
          await transport.close().catch(() => undefined);
          client.close();
        })();
        return closing;
      },
    };
    return session;
  }

  private register(sessionId: string, session: McpSession, signal: AbortSignal): void {
    // Initialized while the daemon stops: closeAll has already run.
    if (this.closed) {
      void session.close();
      return;
    }
    this.sessions.set(sessionId, session);
    // Revocation or expiry of the token ends its sessions at once.
    const onAbort = (): void => void session.close();
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      // The listener goes with the session: a long-lived token does not gather one per session.
      session.detach = () => signal.removeEventListener('abort', onAbort);
    }
    this.logger?.debug({ tokenId: session.tokenId }, 'mcp: HTTP session opened');
  }

  private async serve(session: McpSession, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    clearTimeout(session.idle);
    session.open += 1;
    res.once('close', () => {
      session.open -= 1;
      if (session.open === 0) {
        session.idle = setTimeout(() => void session.close(), this.limits.idleMs);
        session.idle.unref();
      }
    });
    await session.transport.handleRequest(req, res, body);
  }
}
