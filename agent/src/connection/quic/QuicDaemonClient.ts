import { webcrypto } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { formatHostPort, type HostPort } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import { DEFAULT_MAX_FRAME_BYTES, FrameReader, QUIC_ALPN, QUIC_METHOD_HEALTH, QUIC_METHOD_STREAM_EVENTS, TLS_ALERT, checkPeerCertificate, encodeJsonFrame, errorForConnectionClose, errorForStreamCode, responseError, streamCodeFor, type DaemonEvent, type DaemonEventType, type HealthParams, type HealthResult, loadQuic, quicLogger, type QuicModule } from '@palyra/shared/quic';
import type { QUICClient, QUICConnection, QUICStream } from '@matrixai/quic';
import { QuicHealthStream } from './QuicHealthStream.js';
import { readTrustBundle } from '../../renewal/trustBundle.js';

export interface QuicClientCredentials {
  /** The CAs this node trusts (a bundle: two during a CA rotation). */
  caCertPem: string;
  /** The node certificate and its key; omitted only to test that the daemon refuses that. */
  certPem?: string;
  tlsPrivateKeyPem?: string;
}

export interface QuicConnectOptions {
  address: HostPort;
  credentials: QuicClientCredentials;
  /** SHA-256 (lowercase hex) the daemon's server certificate must have. */
  pinnedFingerprint?: string;
  /** The handshake must complete within this (a closed or filtered UDP port never answers). Default 5 s. */
  timeoutMs?: number;
  /** Keepalive interval; long, nodes are many. Default 15 s. */
  keepAliveMs?: number;
  /** The connection ends after this long without a packet. Default 60 s. */
  idleTimeoutMs?: number;
  maxFrameBytes?: number;
  quic?: QuicModule;
  signal?: AbortSignal;
}

export interface RawStream {
  stream: QUICStream;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  frames: FrameReader;
}

export interface HealthOutcome {
  /** From writing the request to reading the result, ms. */
  rttMs: number;
  result: HealthResult;
}

/**
 * A node's QUIC connection to the daemon (ALPN palyra-node/1, mTLS): node.health_stream
 * (or one-shot node.health) and node.stream_events on streams it opens. The daemon's certificate is checked by a verify
 * callback (CA, validity, the daemon marker, the optional pinned fingerprint); the daemon's
 * refusal of ours arrives after the handshake as a connection close, so callers learn it from
 * their first call (or `closed`).
 */
export class QuicDaemonClient {
  /** Resolves with why the connection ended (it always ends with an error, even when we close it). */
  readonly closed: Promise<PalyraError>;
  private closeError: PalyraError | undefined;
  private resolveClosed!: (error: PalyraError) => void;
  private destroyed = false;

  private constructor(
    private readonly client: QUICClient,
    private readonly quic: QuicModule,
    readonly address: HostPort,
    private readonly maxFrameBytes: number,
  ) {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    // An EventTarget listener must not throw (it would be an uncaught exception).
    client.connection.addEventListener(quic.events.EventQUICConnectionError.name, (event: Event) => {
      try {
        this.noteClose(describeConnectionError((event as Event & { detail: unknown }).detail, quic));
      } catch {
        this.noteClose(new PalyraError('PALYRA_E_QUIC_CLOSED', 'the QUIC connection failed'));
      }
    });
    void client.connection.closedP.then(() => this.noteClose(new PalyraError('PALYRA_E_QUIC_CLOSED', 'the QUIC connection closed')));
  }

  static async connect(options: QuicConnectOptions): Promise<QuicDaemonClient> {
    const quic = options.quic ?? (await loadQuic());
    const timeoutMs = options.timeoutMs ?? 5_000;
    const host = await resolveHost(options.address.host);
    const where = formatHostPort(options.address);
    // Every CA of the bundle: during a CA rotation the daemon's certificate may come from either.
    const cas = readTrustBundle(options.credentials.caCertPem).cas;
    let serverProblem: string | undefined;
    const verifyCallback = (certs: Uint8Array[]): Promise<number | undefined> => {
      try {
        const check = checkPeerCertificate(certs[0], cas, 'daemon');
        if (!check.ok) {
          serverProblem = check.problem;
          return Promise.resolve(check.alert);
        }
        if (options.pinnedFingerprint !== undefined && check.certificate.fingerprint !== options.pinnedFingerprint) {
          serverProblem = `its certificate has fingerprint ${check.certificate.fingerprint}, not the pinned ${options.pinnedFingerprint}`;
          return Promise.resolve(TLS_ALERT.BAD_CERTIFICATE);
        }
        return Promise.resolve(undefined);
      } catch {
        serverProblem = 'its certificate could not be checked';
        return Promise.resolve(TLS_ALERT.INTERNAL_ERROR);
      }
    };
    let client: QUICClient;
    try {
      client = await quic.QUICClient.createQUICClient(
        {
          host,
          port: options.address.port,
          localHost: isIP(host) === 6 ? '::' : '0.0.0.0',
          crypto: {
            ops: {
              randomBytes: (data: ArrayBuffer) => {
                webcrypto.getRandomValues(new Uint8Array(data));
                return Promise.resolve();
              },
            },
          },
          config: {
            ca: options.credentials.caCertPem,
            ...(options.credentials.certPem === undefined ? {} : { cert: options.credentials.certPem }),
            ...(options.credentials.tlsPrivateKeyPem === undefined ? {} : { key: options.credentials.tlsPrivateKeyPem }),
            verifyPeer: true,
            verifyCallback: verifyCallback as never,
            applicationProtos: [QUIC_ALPN],
            maxIdleTimeout: options.idleTimeoutMs ?? 60_000,
            keepAliveIntervalTime: options.keepAliveMs ?? 15_000,
            initialMaxStreamsBidi: 0,
            initialMaxStreamsUni: 0,
          },
          reasonToCode: (_type, reason) => streamCodeFor(reason),
          codeToReason: (_type, code) => errorForStreamCode(code),
          logger: quicLogger('palyra-node.quic'),
        },
        { timer: timeoutMs, ...(options.signal === undefined ? {} : { signal: options.signal }) },
      );
    } catch (error) {
      if (serverProblem !== undefined) {
        throw new PalyraError('PALYRA_E_SERVER_IDENTITY', `the QUIC endpoint at ${where} is not this node's daemon: ${serverProblem}`, { cause: error });
      }
      if (error instanceof quic.errors.ErrorQUICClientCreateTimeout || error instanceof quic.errors.ErrorQUICConnectionStartTimeout) {
        throw new PalyraError(
          'PALYRA_E_QUIC_HANDSHAKE',
          `no QUIC answer from ${where} within ${timeoutMs} ms (UDP blocked or filtered, or nothing listens there)`,
          { cause: error },
        );
      }
      const explained = describeConnectionError(error, quic);
      throw explained.code === 'PALYRA_E_QUIC_CLOSED'
        ? new PalyraError('PALYRA_E_QUIC_HANDSHAKE', `the QUIC handshake with ${where} failed: ${explained.message}`, { cause: error })
        : explained;
    }
    return new QuicDaemonClient(client, quic, options.address, options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  }

  /** The underlying connection (tests drive raw streams through it). */
  get connection(): QUICConnection {
    return this.client.connection;
  }

  /** Why the connection ended, once it has. */
  get closeReason(): PalyraError | undefined {
    return this.closeError;
  }

  /**
   * Opens a node.health_stream stream: the long-lived channel for periodic pings (one frame
   * each way per ping; the agent's HealthChannel uses this).
   */
  async openHealthStream({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<QuicHealthStream> {
    return await QuicHealthStream.open(this.openStream(), (error) => this.explain(error), timeoutMs);
  }

  /** One-shot node.health exchange on its own stream: request, result, then the measured round trip back to the daemon. */
  async health(params: HealthParams, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<HealthOutcome> {
    const raw = this.openStream();
    return this.bounded(raw, timeoutMs, 'node.health', async () => {
      const started = performance.now();
      await raw.writer.write(encodeJsonFrame({ method: QUIC_METHOD_HEALTH, params }));
      const response = await raw.frames.expectJson('the node.health result');
      const rttMs = performance.now() - started;
      const refused = responseError(response);
      if (refused !== undefined) throw refused;
      const result = response.result as HealthResult | undefined;
      if (typeof result !== 'object' || result === null) throw new PalyraError('PALYRA_E_FRAME_MALFORMED', 'the node.health answer has no result');
      await raw.writer.write(encodeJsonFrame({ rttMs }));
      await raw.writer.close();
      while ((await raw.frames.next()) !== undefined);
      return { rttMs, result };
    });
  }

  /**
   * Follows node.stream_events: resolves when `signal` aborts (the subscription ends cleanly),
   * rejects when the daemon refuses it or the stream or connection fails. `onSubscribed` gets
   * the types the daemon will send.
   */
  async streamEvents(options: {
    types?: DaemonEventType[];
    onEvent: (event: DaemonEvent) => void;
    onSubscribed?: (types: DaemonEventType[]) => void;
    signal?: AbortSignal;
  }): Promise<void> {
    const raw = this.openStream();
    const endOurSide = (): void => {
      raw.writer.close().catch(() => undefined);
      // A daemon that does not end its side promptly loses the stream.
      setTimeout(() => reset(raw.stream, new PalyraError('PALYRA_E_CANCELLED', 'unsubscribed')), 1_000).unref();
    };
    try {
      await raw.writer.write(encodeJsonFrame({ method: QUIC_METHOD_STREAM_EVENTS, params: options.types === undefined ? {} : { types: options.types } }));
      const response = await raw.frames.expectJson('the node.stream_events result');
      const refused = responseError(response);
      if (refused !== undefined) throw refused;
      const types = (response.result as { types?: DaemonEventType[] } | undefined)?.types ?? [];
      options.onSubscribed?.(types);
      if (options.signal?.aborted === true) endOurSide();
      options.signal?.addEventListener('abort', endOurSide, { once: true });
      for (;;) {
        const message = await raw.frames.nextJson();
        if (message === undefined) return;
        if (typeof message.event === 'object' && message.event !== null) options.onEvent(message.event as DaemonEvent);
      }
    } catch (error) {
      if (options.signal?.aborted === true) return;
      reset(raw.stream, error);
      throw await this.explain(error);
    } finally {
      options.signal?.removeEventListener('abort', endOurSide);
    }
  }

  /** A new bidirectional stream with a frame reader and writer (raw access for tests and tools). */
  openStream(): RawStream {
    if (this.closeError !== undefined) throw this.closeError;
    const stream = this.client.connection.newStream('bidi');
    return { stream, writer: stream.writable.getWriter(), frames: new FrameReader(stream.readable.getReader(), this.maxFrameBytes) };
  }

  /** Closes the connection at once (streams included). Idempotent. */
  async close(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.noteClose(new PalyraError('PALYRA_E_QUIC_CLOSED', 'the QUIC connection was closed by this node'));
    await this.client.destroy({ isApp: true, errorCode: 0, force: true }).catch(() => undefined);
  }

  private noteClose(error: PalyraError): void {
    if (this.closeError !== undefined) return;
    this.closeError = error;
    this.resolveClosed(error);
  }

  /** Runs a call on `raw` with a deadline; on any failure the stream is reset and the error explained. */
  private async bounded<T>(raw: RawStream, timeoutMs: number, what: string, body: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new PalyraError('PALYRA_E_TIMEOUT', `${what} got no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([body(), deadline]);
    } catch (error) {
      reset(raw.stream, error);
      throw await this.explain(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A stream error caused by the connection closing says less than the close itself (a
   * refused certificate, the connection cap, a revocation): prefer the close reason, waiting
   * briefly for it to be reported.
   */
  private async explain(error: unknown): Promise<PalyraError> {
    if (error instanceof PalyraError && error.code !== 'PALYRA_E_QUIC_CLOSED') return error;
    const closed = this.closeError ?? (await Promise.race([this.closed, delay(250)]));
    if (closed !== undefined) return closed;
    return error instanceof PalyraError ? error : describeConnectionError(error, this.quic);
  }
}

/** Turns a @matrixai/quic connection error into a PalyraError. */
function describeConnectionError(error: unknown, quic: QuicModule): PalyraError {
  if (error instanceof PalyraError) return error;
  if (error instanceof quic.errors.ErrorQUICConnectionIdleTimeout) {
    return new PalyraError('PALYRA_E_QUIC_CLOSED', 'the QUIC connection timed out (no packets from the daemon)', { cause: error });
  }
  const data = (error as { data?: unknown } | undefined)?.data as { isApp?: unknown; errorCode?: unknown; reason?: unknown } | undefined;
  if (data !== undefined && typeof data.isApp === 'boolean' && typeof data.errorCode === 'number') {
    const close = { isApp: data.isApp, errorCode: data.errorCode, ...(data.reason instanceof Uint8Array ? { reason: data.reason } : {}) };
    // (ErrorQUICConnectionPeerTLS extends ErrorQUICConnectionLocal in @matrixai/quic 2.0.9: a peer's TLS alert is not ours.)
    if (error instanceof quic.errors.ErrorQUICConnectionLocal && !(error instanceof quic.errors.ErrorQUICConnectionPeerTLS)) {
      return new PalyraError('PALYRA_E_QUIC_CLOSED', `the QUIC connection was closed by this node (${errorForConnectionClose(close).message})`, { cause: error });
    }
    return errorForConnectionClose(close);
  }
  return new PalyraError('PALYRA_E_QUIC_CLOSED', `the QUIC connection failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

async function resolveHost(host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  try {
    return (await lookup(host)).address;
  } catch (error) {
    throw new PalyraError('PALYRA_E_QUIC_HANDSHAKE', `cannot resolve the daemon's host "${host}" for QUIC`, { cause: error });
  }
}

function reset(stream: QUICStream, reason: unknown): void {
  try {
    stream.cancel(reason);
  } catch {
    // Already closed.
  }
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}

