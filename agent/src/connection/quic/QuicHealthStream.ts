import { performance } from 'node:perf_hooks';
import { PalyraError } from '@palyra/shared/errors';
import { QUIC_METHOD_HEALTH_STREAM, encodeJsonFrame, responseError, type HealthParams, type HealthPong, type HealthStreamResult } from '@palyra/shared/quic';
import type { QUICStream } from '@matrixai/quic';
import type { RawStream } from './QuicDaemonClient.js';

export interface HealthPingOutcome {
  /** From writing the ping to reading its pong, ms. */
  rttMs: number;
  pong: HealthPong;
}

/**
 * One node.health_stream stream: opened once, then a ping/pong per health interval, each
 * ping carrying the round trip of the previous exchange. Any failure (a deadline, an error
 * frame, a reset, the connection closing) leaves the stream broken: the caller opens a new
 * one (or learns from the connection why it ended).
 */
export class QuicHealthStream {
  private lastRttMs: number;
  private broken: PalyraError | undefined;
  private busy = false;

  private constructor(
    private readonly raw: RawStream,
    private readonly explain: (error: unknown) => Promise<PalyraError>,
    readonly result: HealthStreamResult,
    openRttMs: number,
  ) {
    this.lastRttMs = openRttMs;
  }

  /** Sends the request and waits for the result; the stream is then ready for pings. */
  static async open(raw: RawStream, explain: (error: unknown) => Promise<PalyraError>, timeoutMs: number): Promise<QuicHealthStream> {
    try {
      const started = performance.now();
      const response = await withDeadline(
        (async () => {
          await raw.writer.write(encodeJsonFrame({ method: QUIC_METHOD_HEALTH_STREAM, params: {} }));
          return raw.frames.expectJson('the node.health_stream result');
        })(),
        timeoutMs,
        QUIC_METHOD_HEALTH_STREAM,
      );
      const openRttMs = performance.now() - started;
      const refused = responseError(response);
      if (refused !== undefined) throw refused;
      const result = response.result as HealthStreamResult | undefined;
      if (typeof result !== 'object' || result === null) throw new PalyraError('PALYRA_E_FRAME_MALFORMED', 'the node.health_stream answer has no result');
      return new QuicHealthStream(raw, explain, result, openRttMs);
    } catch (error) {
      reset(raw.stream, error);
      throw await explain(error);
    }
  }

  /** Whether a ping failed on this stream (open a new one then). */
  get isBroken(): boolean {
    return this.broken !== undefined;
  }

  /** One ping and its pong. Pings are sequential: a second call while one is in flight is refused. */
  async ping(params: HealthParams, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<HealthPingOutcome> {
    if (this.broken !== undefined) throw this.broken;
    if (this.busy) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'a health ping is already in flight on this stream');
    this.busy = true;
    try {
      const started = performance.now();
      const response = await withDeadline(
        (async () => {
          await this.raw.writer.write(encodeJsonFrame({ ping: { ...params, lastRttMs: this.lastRttMs } }));
          return this.raw.frames.expectJson('a health pong');
        })(),
        timeoutMs,
        'a health ping',
      );
      const rttMs = performance.now() - started;
      const refused = responseError(response);
      if (refused !== undefined) throw refused;
      const pong = response.pong as HealthPong | undefined;
      if (typeof pong !== 'object' || pong === null) throw new PalyraError('PALYRA_E_FRAME_MALFORMED', 'a health stream answer has no pong');
      this.lastRttMs = rttMs;
      return { rttMs, pong };
    } catch (error) {
      reset(this.raw.stream, error);
      this.broken = await this.explain(error);
      throw this.broken;
    } finally {
      this.busy = false;
    }
  }

  /** Ends our side; the daemon ends its side in turn. Idempotent. */
  close(): void {
    this.broken ??= new PalyraError('PALYRA_E_QUIC_CLOSED', 'the health stream was closed by this node');
    this.raw.writer.close().catch(() => undefined);
    // A daemon that does not end its side promptly loses the stream.
    setTimeout(() => reset(this.raw.stream, this.broken), 1_000).unref();
  }
}

async function withDeadline<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new PalyraError('PALYRA_E_TIMEOUT', `${what} got no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function reset(stream: QUICStream, reason: unknown): void {
  try {
    stream.cancel(reason);
  } catch {
    // Already closed.
  }
}
