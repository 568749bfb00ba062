import type { RateLimitedLog } from '@palyra/shared/logging';
import { connectionId } from '../rpc/ConnectionGuard.js';

/** What AuthDeadline needs of a connection: its peer, to close it, and to learn it closed. */
export interface DeadlineSocket {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  destroy(): void;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * Closes remote admin connections that make no authenticated call in time. The connection caps
 * (ConnectionGuard) count every connection that finished TLS, token or not, and a connection
 * with a call whose message never comes is never idle: without this, a peer with no token
 * could hold every connection slot of the endpoint, and token holders could not connect. A
 * connection (gRPC or HTTP/1.1) is authenticated once one of its calls or requests presented a
 * valid token; it keeps that. The timer starts when TLS is up, so it also bounds the HTTP/2
 * preface of a gRPC connection.
 */
export class AuthDeadline {
  /** Connections not authenticated yet, by `address|port`, with their timers. */
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly timeoutMs: number,
    private readonly log?: RateLimitedLog,
  ) {}

  /** Starts the clock of a connection that finished TLS. */
  watch(socket: DeadlineSocket): void {
    const { remoteAddress } = socket;
    const id = connectionId(socket);
    const timer = setTimeout(() => {
      this.pending.delete(id);
      socket.destroy();
      this.log?.note(
        'info',
        'admin-auth-timeout',
        { remoteAddress, authTimeoutMs: this.timeoutMs },
        `closed an admin connection that made no authenticated call within ${this.timeoutMs} ms`,
      );
    }, this.timeoutMs);
    timer.unref();
    this.pending.set(id, timer);
    socket.once('close', () => {
      if (this.pending.get(id) === timer) {
        clearTimeout(timer);
        this.pending.delete(id);
      }
    });
  }

  /** A call of the connection `peer` (grpc's getPeer(): `address:port`) presented a valid token. */
  authenticated(peer: string): void {
    const colon = peer.lastIndexOf(':');
    if (colon <= 0) return;
    this.authenticatedConnection({ remoteAddress: peer.slice(0, colon), remotePort: Number(peer.slice(colon + 1)) });
  }

  /** A request of the connection `socket` (an HTTP/1.1 one) presented a valid token. */
  authenticatedConnection(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): void {
    const id = connectionId(socket);
    const timer = this.pending.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.pending.delete(id);
  }
}
