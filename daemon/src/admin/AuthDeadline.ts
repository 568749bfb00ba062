import type { Http2SecureServer, ServerHttp2Session } from 'node:http2';
import type { RateLimitedLog } from '@palyra/shared/logging';
import { connectionId } from '../rpc/ConnectionGuard.js';

/**
 * Closes remote admin connections that make no authenticated call in time. The connection caps
 * (ConnectionGuard) count every connection that finished TLS and HTTP/2, token or not, and a
 * connection with a call whose message never comes is never idle: without this, a peer with no
 * token could hold every connection slot of the endpoint, and token holders could not connect.
 * A connection is authenticated once one of its calls presented a valid token; it keeps that.
 */
export class AuthDeadline {
  /** Connections not authenticated yet, by `address|port`, with their timers. */
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly timeoutMs: number,
    private readonly log?: RateLimitedLog,
  ) {}

  /** Hooks into one of grpc-js's http2 servers (see grpcHttp2Servers) before it accepts anything. */
  attach(server: Http2SecureServer): void {
    server.on('session', (session: ServerHttp2Session) => this.onSession(session));
  }

  /** A call of the connection `peer` (grpc's getPeer(): `address:port`) presented a valid token. */
  authenticated(peer: string): void {
    const colon = peer.lastIndexOf(':');
    if (colon <= 0) return;
    const id = connectionId({ remoteAddress: peer.slice(0, colon), remotePort: Number(peer.slice(colon + 1)) });
    const timer = this.pending.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.pending.delete(id);
  }

  private onSession(session: ServerHttp2Session): void {
    const { remoteAddress } = session.socket;
    const id = connectionId(session.socket);
    const timer = setTimeout(() => {
      this.pending.delete(id);
      session.destroy();
      this.log?.note(
        'info',
        'admin-auth-timeout',
        { remoteAddress, authTimeoutMs: this.timeoutMs },
        `closed an admin connection that made no authenticated call within ${this.timeoutMs} ms`,
      );
    }, this.timeoutMs);
    timer.unref();
    this.pending.set(id, timer);
    session.once('close', () => {
      if (this.pending.get(id) === timer) {
        clearTimeout(timer);
        this.pending.delete(id);
      }
    });
  }
}
