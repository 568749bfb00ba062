import type { Socket } from 'node:net';

/**
 * Closes HTTP connections whose answer stopped moving: output is pending and none of it has been
 * flushed for `stallMs` (the peer reads nothing, its receive window is shut). node:http bounds the
 * request side only, and an inactivity timeout would also close SSE streams that are rightly
 * silent for hours; a peer that does not read would otherwise keep its connection slot, and the
 * answer buffered for it, for ever. One timer for all connections.
 */
export class WriteStallGuard {
  private readonly sockets = new Map<Socket, { flushed: number; sinceMs: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stallMs: number,
    private readonly onStall: (socket: Socket) => void = () => undefined,
    private readonly checkEveryMs = Math.min(1_000, stallMs),
  ) {}

  watch(socket: Socket): void {
    this.sockets.set(socket, { flushed: flushedBytes(socket), sinceMs: Date.now() });
    socket.once('close', () => this.sockets.delete(socket));
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.check(), this.checkEveryMs);
      this.timer.unref();
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.sockets.clear();
  }

  private check(): void {
    const nowMs = Date.now();
    for (const [socket, entry] of this.sockets) {
      const flushed = flushedBytes(socket);
      if (socket.writableLength === 0 || flushed !== entry.flushed) {
        entry.flushed = flushed;
        entry.sinceMs = nowMs;
      } else if (nowMs - entry.sinceMs >= this.stallMs) {
        this.sockets.delete(socket);
        socket.destroy();
        this.onStall(socket);
      }
    }
  }
}

/** Bytes whose write completed: written (dispatched or queued) minus still pending. */
function flushedBytes(socket: Socket): number {
  return socket.bytesWritten - socket.writableLength;
}
