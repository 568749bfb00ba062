import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { PluginLogger } from '@palyra/shared/plugins';
import { DeniedAddressError, guardedLookup } from './guardedLookup.js';
import { parseIp } from './ipAddress.js';
import type { HostLookup } from './resolveHost.js';
import type { UrlPolicy, Verdict } from './UrlPolicy.js';

export interface PolicyProxyOptions {
  /** The policy in force; read on every connection. */
  policy: () => UrlPolicy;
  resolve: HostLookup;
  logger?: PluginLogger;
}

export interface ProxyDenial {
  readonly host: string;
  readonly port: number;
  readonly reason: string;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
const CONNECT_TIMEOUT_MS = 30_000;
const DENIALS_KEPT = 100;
/** On the proxy's own 403: why the policy refused. */
export const DENIED_HEADER = 'x-palyra-denied';
/** On the proxy's own 502 for plain http: why the server could not be reached (ECONNREFUSED, ENOTFOUND...). */
export const UPSTREAM_ERROR_HEADER = 'x-palyra-upstream-error';

/**
 * The HTTP proxy Chromium sends every connection through (`--proxy-server`, loopback
 * included). It checks host and port against the policy, resolves names itself, checks the
 * addresses against `denyHosts`, and connects only to addresses it checked. This catches
 * what request interception cannot see: WebSockets (tunnelled with CONNECT), any other
 * connection the browser opens, and a name resolving to a denied address. Plain http
 * requests are forwarded; https and WebSockets are tunnelled (the proxy never sees inside TLS).
 * It listens on 127.0.0.1 only and refuses connections to itself.
 */
export class PolicyProxy {
  private readonly sockets = new Set<Socket>();
  private readonly agent = new Agent({ keepAlive: true });
  private readonly denials: ProxyDenial[] = [];

  private constructor(
    private readonly server: Server,
    private readonly options: PolicyProxyOptions,
  ) {}

  static async start(options: PolicyProxyOptions): Promise<PolicyProxy> {
    const server = createServer();
    const proxy = new PolicyProxy(server, options);
    server.on('connection', (socket) => {
      proxy.sockets.add(socket);
      socket.on('close', () => proxy.sockets.delete(socket));
    });
    server.on('request', (req, res) => proxy.forward(req, res));
    server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => proxy.tunnel(req, socket, head));
    server.on('upgrade', (_req, socket: Socket) => socket.destroy());
    server.on('clientError', (_error, socket: Socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** For `--proxy-server`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The latest refusal for this host and port, if any. */
  denialFor(host: string, port: number): ProxyDenial | undefined {
    const bare = host.startsWith('[') ? host.slice(1, -1) : host;
    for (let i = this.denials.length - 1; i >= 0; i -= 1) {
      const denial = this.denials[i];
      if (denial !== undefined && denial.host === bare && denial.port === port) return denial;
    }
    return undefined;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
    await closed;
  }

  /** A plain http request in absolute form (`GET http://host/path`). */
  private forward(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
      if (url.protocol !== 'http:') throw new Error('not http');
    } catch {
      res.writeHead(400).end();
      return;
    }
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = url.port === '' ? 80 : Number(url.port);
    const verdict = this.checkTarget(host, port, () => this.options.policy().checkRequest(url.href));
    if (!verdict.allowed) {
      this.refuseRequest(res, host, port, verdict.reason);
      return;
    }
    const upstream = httpRequest({
      host,
      port,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers: withoutHopByHop(req.headers),
      setHost: false,
      agent: this.agent,
      lookup: this.lookupFor(port),
    });
    // Only connecting is bounded here; how long a response may take is the dispatch's budget
    // (the browser drops the connection when the page is closed).
    upstream.on('socket', (socket) => {
      if (!socket.connecting) return;
      socket.setTimeout(CONNECT_TIMEOUT_MS, () => upstream.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })));
      socket.once('connect', () => socket.setTimeout(0));
    });
    upstream.on('response', (answer) => {
      const headers = withoutHopByHop(answer.headers);
      // Only the proxy's own answers carry these.
      delete headers[DENIED_HEADER];
      delete headers[UPSTREAM_ERROR_HEADER];
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (error instanceof DeniedAddressError) this.refuseRequest(res, host, port, error.reason);
      else if (!res.headersSent) {
        const code = (error as NodeJS.ErrnoException).code ?? 'EPROTO';
        res.writeHead(502, { [UPSTREAM_ERROR_HEADER]: headerSafe(code), 'content-type': 'text/plain' }).end(`${host}:${port} could not be reached: ${code}\n`);
      } else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  /** `CONNECT host:port`: https, and WebSockets (ws and wss). */
  private tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
    client.on('error', () => client.destroy());
    const target = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(req.url ?? '');
    if (target === null) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const host = (target[1] ?? '').replace(/^\[|\]$/g, '').toLowerCase();
    const port = Number(target[2]);
    const verdict = this.checkTarget(host, port, () => this.options.policy().checkHostPort(host, port));
    if (!verdict.allowed) {
      this.remember(host, port, verdict.reason);
      client.end(`HTTP/1.1 403 Forbidden\r\n${DENIED_HEADER}: ${headerSafe(verdict.reason)}\r\n\r\n`);
      return;
    }
    const upstream = connect({ host, port, lookup: this.lookupFor(port), timeout: CONNECT_TIMEOUT_MS });
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })));
    upstream.on('error', (error) => {
      if (error instanceof DeniedAddressError) {
        this.remember(host, port, error.reason);
        client.end(`HTTP/1.1 403 Forbidden\r\n${DENIED_HEADER}: ${headerSafe(error.reason)}\r\n\r\n`);
      } else if (upstream.connecting) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      else client.destroy();
    });
    client.on('close', () => upstream.destroy());
  }

  private checkTarget(host: string, port: number, check: () => Verdict): Verdict {
    const ip = parseIp(host);
    if (port === this.port && (host === 'localhost' || (ip !== undefined && (ip.address.startsWith('127.') || ip.address === '::1')))) {
      return { allowed: false, reason: 'the browser policy proxy itself is never a destination' };
    }
    return check();
  }

  private lookupFor(port: number): ReturnType<typeof guardedLookup> {
    return guardedLookup(this.options.resolve, (host, addresses) => this.options.policy().checkAddresses(host, port, addresses));
  }

  private refuseRequest(res: ServerResponse, host: string, port: number, reason: string): void {
    this.remember(host, port, reason);
    if (res.headersSent) res.destroy();
    else res.writeHead(403, { [DENIED_HEADER]: headerSafe(reason), 'content-type': 'text/plain' }).end(`refused by the node's browser policy: ${reason}\n`);
  }

  private remember(host: string, port: number, reason: string): void {
    this.denials.push({ host, port, reason });
    if (this.denials.length > DENIALS_KEPT) this.denials.shift();
    this.options.logger?.debug('browser proxy refused a connection', { host, port, reason });
  }
}

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const copy: IncomingHttpHeaders = { ...headers };
  const listed = typeof headers.connection === 'string' ? headers.connection.split(',').map((h) => h.trim().toLowerCase()) : [];
  for (const name of [...HOP_BY_HOP, ...listed]) delete copy[name];
  return copy;
}

function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 500);
}
