import type { Socket } from 'node:net';
import type { ControlClient } from '../../client/ControlClient.js';

/** A request's use of its connection's admin client. */
export interface AdminClientLease {
  client: ControlClient;
  /** The request is over; `failed`: something went wrong with the client, do not keep it. */
  done(failed?: boolean): void;
}

/** Opens an admin client on the daemon's socket acting as one token, for one HTTP peer. */
export type OpenAdminClient = (signal: AbortSignal) => Promise<ControlClient>;

interface Held {
  token: string;
  remoteAddress: string;
  client: Promise<ControlClient>;
  release(): void;
}

/**
 * The admin client of each HTTP connection, kept for the connection's next requests: opening
 * one per request (an HTTP/2 connection to the admin socket, and a gRPC channel for the invoke
 * stream) cost a /v1/tool_calls request most of its daemon CPU (bench/tools.mjs). One client
 * per connection, never shared between connections: its token and the peer address the audit
 * log names are those of that connection's requests. A request presenting another token than
 * the held client's gets a new one (the old one is closed). The client goes when its
 * connection closes, when its token is revoked or expires (`tokenSignal`), and after a failure
 * (`drop`). Bounded as the connections are (ConnectionGuard); the socket also checks the token
 * on every call, so a held client never outlives its token's rights.
 */
export class ConnectionClients {
  private readonly held = new Map<Socket, Held>();
  private closed = false;

  /** Connections holding a client now. */
  get size(): number {
    return this.held.size;
  }

  /**
   * The connection's client for `token` (opened with `open` if none fits), and `done`, to
   * call once the request is over: `done(true)` after a failure drops the client (a broken
   * admin connection is not kept); a client that is not held is closed either way.
   */
  async lease(socket: Socket, token: string, remoteAddress: string, tokenSignal: AbortSignal, open: OpenAdminClient): Promise<AdminClientLease> {
    const current = this.held.get(socket);
    if (current !== undefined && (current.token !== token || current.remoteAddress !== remoteAddress)) this.release(socket, current);
    let held = this.held.get(socket);
    // Not kept: the daemon stops, the connection is gone or the token was just revoked: the
    // request gets a client of its own, closed when it is done.
    if (held === undefined && (this.closed || socket.destroyed || tokenSignal.aborted)) {
      const own = await open(tokenSignal);
      return { client: own, done: () => own.close() };
    }
    if (held === undefined) held = this.hold(socket, token, remoteAddress, tokenSignal, open);
    const entry = held;
    const client = await entry.client;
    return {
      client,
      done: (failed = false) => {
        if (this.held.get(socket) !== entry) client.close();
        else if (failed) this.release(socket, entry);
      },
    };
  }

  private hold(socket: Socket, token: string, remoteAddress: string, tokenSignal: AbortSignal, open: OpenAdminClient): Held {
    const client = open(tokenSignal);
    let opened: ControlClient | undefined;
    let released = false;
    // Closed at once when it is open already: no call may start on it after its release.
    void client.then(
      (c) => {
        opened = c;
        if (released) c.close();
      },
      () => undefined,
    );
    const onGone = (): void => this.release(socket, held);
    const held: Held = {
      token,
      remoteAddress,
      client,
      release: () => {
        released = true;
        socket.off('close', onGone);
        tokenSignal.removeEventListener('abort', onGone);
        opened?.close();
      },
    };
    socket.once('close', onGone);
    tokenSignal.addEventListener('abort', onGone, { once: true });
    this.held.set(socket, held);
    // A client that could not be opened is not kept: the next request tries again.
    client.catch(onGone);
    return held;
  }

  /** Closes every client (the daemon stops). */
  closeAll(): void {
    this.closed = true;
    for (const [socket, held] of [...this.held]) this.release(socket, held);
  }

  private release(socket: Socket, held: Held): void {
    if (this.held.get(socket) !== held) return;
    this.held.delete(socket);
    held.release();
  }
}
