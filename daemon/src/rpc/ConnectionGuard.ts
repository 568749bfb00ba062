import type { Http2SecureServer, ServerHttp2Session } from 'node:http2';
import type { Server as NetServer, Socket } from 'node:net';
import type { RateLimitedLog } from '@palyra/shared/logging';
import { PeerLimiter } from './PeerLimiter.js';

export interface ConnectionLimits {
  /** From TCP accept to the peer's HTTP/2 SETTINGS (TLS handshake and HTTP/2 preface). */
  handshakeTimeoutMs: number;
  /** TCP connections held at once on the node port. */
  maxConnections: number;
  /** TCP connections held at once from one remote address (IPv6: one /64). */
  maxConnectionsPerAddress: number;
}

/**
 * Defaults sized for the target fleet: 10,000 nodes hold one connection each (twice that in
 * total leaves room for reconnects and pairing); 256 per address lets a site put a few hundred
 * nodes behind one NAT address. 10 s for TLS plus the HTTP/2 preface is generous for a real
 * client, even against a daemon busy with a reconnecting fleet.
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  handshakeTimeoutMs: 10_000,
  maxConnections: 20_000,
  maxConnectionsPerAddress: 256,
};

interface Handshaking {
  socket: Socket;
  timer: NodeJS.Timeout;
}

/**
 * Bounds what a peer can hold on the node port below the gRPC layer, which only sees a peer
 * once it finished TLS and HTTP/2: every TCP connection counts against a total and a
 * per-address cap (the one over either is destroyed at once), and must deliver its HTTP/2
 * SETTINGS (the end of the client preface) within handshakeTimeoutMs of being accepted, or it
 * is destroyed. So idle, slow or half-open peers cannot exhaust the daemon's file descriptors.
 * After that, gRPC keepalive (a frozen peer) and max_connection_idle_ms (a peer that makes no
 * call) take over; see NODE_SERVER_OPTIONS.
 */
export class ConnectionGuard {
  private readonly limiter: PeerLimiter;
  /** Connections still in their handshake, by `remoteAddress|remotePort`. */
  private readonly handshaking = new Map<string, Handshaking>();

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly log?: RateLimitedLog,
  ) {
    this.limiter = new PeerLimiter({ total: limits.maxConnections, perAddress: limits.maxConnectionsPerAddress }, 'connection');
  }

  /** TCP connections held right now. */
  get connectionCount(): number {
    return this.limiter.size;
  }

  /** Hooks into one of grpc-js's http2 servers (see grpcHttp2Servers) before it accepts anything. */
  attach(server: Http2SecureServer): void {
    this.attachListener(server);
    server.on('session', (session: ServerHttp2Session) => this.onSession(session));
  }

  /**
   * Counts and times the TCP connections of a listener whose owner decides when a connection's
   * handshake is over (handshakeDone): the remote admin endpoint's own TLS listener, which
   * routes each connection to gRPC or HTTP/1.1 once TLS is up.
   */
  attachListener(server: NetServer): void {
    // Prepended: the cap is checked before TLS spends anything on the socket.
    server.prependListener('connection', (socket: Socket) => this.onConnection(socket));
  }

  /** The connection `socket` (or a TLS socket over it: same address and port) finished its handshake. */
  handshakeDone(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): void {
    const id = connectionId(socket);
    const entry = this.handshaking.get(id);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.handshaking.delete(id);
  }

  private onConnection(socket: Socket): void {
    const admission = this.limiter.admit(socket.remoteAddress);
    if (!admission.ok) {
      socket.destroy();
      const perAddress = admission.limit === 'perAddress';
      this.log?.note(
        'warn',
        perAddress ? 'connection-cap-per-address' : 'connection-cap-total',
        { remoteAddress: admission.address, held: admission.held, cap: perAddress ? this.limits.maxConnectionsPerAddress : this.limits.maxConnections },
        perAddress
          ? `refused a connection: this address holds its maximum of ${this.limits.maxConnectionsPerAddress} connections (--max-connections-per-address)`
          : `refused a connection: the daemon holds its maximum of ${this.limits.maxConnections} connections (--max-connections)`,
      );
      return;
    }
    const id = connectionId(socket);
    const timer = setTimeout(() => {
      this.handshaking.delete(id);
      socket.destroy();
      this.log?.note(
        'info',
        'handshake-timeout',
        { remoteAddress: socket.remoteAddress, handshakeTimeoutMs: this.limits.handshakeTimeoutMs },
        `closed a connection that did not finish TLS and the HTTP/2 preface within ${this.limits.handshakeTimeoutMs} ms (--handshake-timeout)`,
      );
    }, this.limits.handshakeTimeoutMs);
    timer.unref();
    const entry: Handshaking = { socket, timer };
    this.handshaking.set(id, entry);
    socket.once('close', () => {
      clearTimeout(timer);
      if (this.handshaking.get(id) === entry) this.handshaking.delete(id);
      admission.release();
    });
  }

  /**
   * node:http2 creates the session as soon as TLS is up; the peer's preface ends with its
   * SETTINGS frame ('remoteSettings'). The session's socket (a proxy of the TLS socket)
   * reports the same remote address and port as the TCP socket underneath.
   */
  private onSession(session: ServerHttp2Session): void {
    session.once('remoteSettings', () => this.handshakeDone(session.socket));
  }
}

/** One connection's key in the guards' maps: its peer address and port. */
export function connectionId(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${socket.remoteAddress ?? '?'}|${socket.remotePort ?? '?'}`;
}
