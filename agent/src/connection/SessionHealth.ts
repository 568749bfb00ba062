import { performance } from 'node:perf_hooks';
import type { HealthPong__Output, NodeMessage } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { HealthParams } from '@palyra/shared/quic';

interface PendingPing {
  seq: number;
  started: number;
  resolve: (rttMs: number) => void;
  reject: (error: PalyraError) => void;
}

/**
 * Health pings as `health` messages on the node's gRPC Session stream (the fallback when QUIC
 * cannot be had): the stream is open anyway, so a ping costs one message each way instead of
 * a unary RPC (a new HTTP/2 stream) per ping. NodeConnection attaches each welcomed session
 * and detaches it when it ends; HealthChannel pings. One ping is in flight at a time; each
 * carries the round trip of the previous one on the same session.
 */
export class SessionHealth {
  private send: ((message: NodeMessage) => void) | undefined;
  private pending: PendingPing | undefined;
  private seq = 0;
  private lastRttMs = 0;
  private readonly opened = new Set<() => void>();

  get isOpen(): boolean {
    return this.send !== undefined;
  }

  /** A session was welcomed: pings go down `send` from now on. */
  attach(send: (message: NodeMessage) => void): void {
    this.send = send;
    this.lastRttMs = 0;
    for (const wake of [...this.opened]) wake();
  }

  /** The session ended: a ping in flight fails with `error`. */
  detach(error: PalyraError, send?: (message: NodeMessage) => void): void {
    // A session that ends after its successor attached (a renewal's handover) detaches nothing.
    if (send !== undefined && this.send !== send) return;
    this.send = undefined;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }

  /** A pong arrived on the session; one that answers no ping in flight (a late one) is ignored. A pong with an error fails its ping. */
  handlePong(pong: HealthPong__Output): void {
    const pending = this.pending;
    if (pending === undefined || pong.seq !== pending.seq) return;
    this.pending = undefined;
    if (pong.error !== null && pong.error !== undefined && pong.error.code !== '') {
      pending.reject(PalyraError.fromJSON({ code: pong.error.code, message: pong.error.message }));
      return;
    }
    const rttMs = performance.now() - pending.started;
    this.lastRttMs = rttMs;
    pending.resolve(rttMs);
  }

  /**
   * Sends one ping and resolves with its round trip. Waits for a session when none is open;
   * rejects when none opens or no pong arrives within timeoutMs, or on abort.
   */
  async ping(params: HealthParams, { signal, timeoutMs = 10_000 }: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<{ rttMs: number }> {
    if (this.pending !== undefined) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'a health ping is already in flight on the session');
    const deadline = Date.now() + timeoutMs;
    if (this.send === undefined) await this.waitForSession(signal, timeoutMs);
    const send = this.send;
    if (send === undefined) throw new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', 'no session with the daemon');
    this.seq = (this.seq + 1) >>> 0;
    const seq = this.seq;
    return new Promise((resolve, reject) => {
      const finish = (error?: PalyraError, rttMs = 0): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.pending === pending) this.pending = undefined;
        if (error === undefined) resolve({ rttMs });
        else reject(error);
      };
      const onAbort = (): void => finish(new PalyraError('PALYRA_E_CANCELLED', 'the health ping was cancelled'));
      const timer = setTimeout(
        () => finish(new PalyraError('PALYRA_E_TIMEOUT', `no health pong within ${timeoutMs} ms`)),
        Math.max(0, deadline - Date.now()),
      );
      const pending: PendingPing = { seq, started: performance.now(), resolve: (rttMs) => finish(undefined, rttMs), reject: (error) => finish(error) };
      this.pending = pending;
      signal?.addEventListener('abort', onAbort, { once: true });
      send({
        health: {
          seq,
          sentAtMs: String(params.sentAtMs),
          agentVersion: params.agentVersion,
          uptimeSec: params.uptimeSec,
          loadAvg: params.loadAvg,
          memoryTotalBytes: String(params.memory.totalBytes),
          memoryFreeBytes: String(params.memory.freeBytes),
          memoryRssBytes: String(params.memory.rssBytes),
          lastRttMs: this.lastRttMs,
        },
      });
    });
  }

  private waitForSession(signal: AbortSignal | undefined, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.opened.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.opened.add(done);
      signal?.addEventListener('abort', done, { once: true });
      if (signal?.aborted === true) done();
    });
  }
}
