import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { formatHostPort, type HostPort } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';

export interface MetricsServerLimits {
  /** Connections held at once; the next is closed at once. */
  maxConnections: number;
  /** Request line plus headers, in bytes (Node answers 431 over it). */
  maxHeaderBytes: number;
  /** Time a client has to send its headers (a slow client is cut off: 408). */
  headersTimeoutMs: number;
  /** Time for the whole request and response. */
  requestTimeoutMs: number;
  /** Idle time of a kept-alive connection. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_METRICS_LIMITS: MetricsServerLimits = {
  maxConnections: 16,
  maxHeaderBytes: 8 * 1024,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
};

/**
 * The `--metrics-listen` endpoint: plain HTTP, GET /metrics only (404 for anything else, 413
 * for a request with a body). It has no authentication:
 * bind it to localhost or a private network. Nothing secret is in it (see docs/metrics.md).
 */
export class MetricsServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private listening: HostPort | undefined;

  constructor(
    private readonly listen: HostPort,
    private readonly render: () => Promise<{ contentType: string; body: string }>,
    limits: Partial<MetricsServerLimits> = {},
  ) {
    const bounds = { ...DEFAULT_METRICS_LIMITS, ...limits };
    this.server = createServer(
      {
        maxHeaderSize: bounds.maxHeaderBytes,
        headersTimeout: bounds.headersTimeoutMs,
        requestTimeout: bounds.requestTimeoutMs,
        keepAliveTimeout: bounds.keepAliveTimeoutMs,
        // Node checks the two timeouts above this often (default 30 s): a slow client would
        // hold its connection that much longer than its deadline.
        connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(bounds.headersTimeoutMs / 2))),
      },
      (request, response) => this.handle(request, response),
    );
    this.server.maxConnections = bounds.maxConnections;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  get address(): HostPort {
    if (this.listening === undefined) throw new Error('the metrics server is not listening');
    return this.listening;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(new PalyraError('PALYRA_E_LISTEN_FAILED', `cannot listen for metrics on ${formatHostPort(this.listen)}: ${error.message}`));
      };
      this.server.once('error', onError);
      this.server.listen(this.listen.port, this.listen.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const bound = this.server.address();
    if (bound === null || typeof bound === 'string') throw new Error('the metrics server has no TCP address');
    this.listening = { host: this.listen.host, port: bound.port };
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== '/metrics' || request.method !== 'GET') return this.answer(response, 404, 'not found: the only resource is GET /metrics\n');
    // A scrape has no body: one announced is refused unread, and the connection closed.
    const length = Number(request.headers['content-length'] ?? '0');
    if (request.headers['transfer-encoding'] !== undefined || !(length === 0)) {
      response.setHeader('connection', 'close');
      return this.answer(response, 413, 'a scrape has no body\n');
    }
    this.render().then(
      ({ contentType, body }) => {
        response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
        response.end(body);
      },
      () => this.answer(response, 500, 'collecting the metrics failed\n'),
    );
  }

  private answer(response: ServerResponse, status: number, text: string): void {
    response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(text);
  }
}
