import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type IncomingHttpStatusHeader } from 'node:http2';
import { createConnection, isIP } from 'node:net';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { methodCodecs } from '../codecs.js';
import { PALYRA_SERVICES } from '../generated/descriptor.js';
import { ERROR_METADATA_KEY, GRPC_STATUS, fromServiceError, type StatusLike } from '../statusErrors.js';
import { PalyraError } from '@palyra/shared/errors';

type ServiceName = keyof typeof PALYRA_SERVICES;
type UnaryMethodName<S extends ServiceName> = keyof (typeof PALYRA_SERVICES)[S]['methods'] & string;

/**
 * The largest answer accepted. Above grpc-js's default 4 MiB: the node list of a daemon with
 * 10,000 nodes is about 5 MB, and this client only ever talks to the daemon's admin API (its
 * socket, or its TLS endpoint after the daemon's identity was verified).
 */
export const MAX_ADMIN_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface UnaryCallOptions {
  /** Milliseconds until the call fails with PALYRA_E_TIMEOUT (also sent as grpc-timeout). */
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * The call may be sent a second time when the connection died under it before any answer
   * (a read: GetStatus, ListNodes). Without it, such a call fails with
   * PALYRA_E_DAEMON_UNREACHABLE, since the daemon may have acted on it. A request that
   * provably never reached the daemon (no live connection at send time, or a stream the
   * daemon refused unprocessed) is always sent on a fresh connection, idempotent or not.
   */
  idempotent?: boolean;
}

/**
 * The daemon's remote admin endpoint: TLS trusting exactly one CA (never the system roots),
 * with the caller's own check of the server certificate (the daemon marker, not a host name).
 */
export interface TlsTarget {
  host: string;
  port: number;
  /** PEM of the one CA the server certificate must chain to. */
  caPem: string;
  /** SNI and the name handed to checkServerIdentity. */
  servername: string;
  /** Runs after the chain verified against `caPem`; an Error refuses the server. */
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
}

export interface ConnectOptions extends UnaryCallOptions {
  maxResponseBytes?: number;
}

/** How to open one HTTP/2 connection, and what its failures mean. */
interface Connector {
  /** For messages: `the daemon at <socket or HOST:PORT>`. */
  readonly target: string;
  open(): ClientHttp2Session;
  /** The PalyraError for a connection that failed while opening. */
  failure(error: Error): PalyraError;
}

type MethodDescriptor = { path: string; requestType: string; responseType: string; requestStream: boolean; responseStream: boolean };

/** How one attempt ended: an answer, a status, or "never processed / connection lost" (retryable). */
type Attempt<Response> =
  | { kind: 'answer'; response: Response }
  | { kind: 'failed'; status: StatusLike }
  | { kind: 'not-sent' | 'connection-lost'; status: StatusLike };

/**
 * A unary gRPC client over an HTTP/2 connection to a Unix socket (or, for remote operators,
 * over TLS), without grpc-js. A CLI command makes one or two unary calls and exits: grpc-js's channel stack
 * (resolver, load balancer, retries, keepalive) buys nothing there, and loading it and making
 * its first call cost more than the rest of the command. Streaming calls stay on grpc-js.
 * Speaks the gRPC-over-HTTP/2 wire format: 5-byte length-prefixed messages, status and
 * message in trailers (or a trailers-only response), `-bin` metadata base64-encoded.
 *
 * A long-lived client (the approvals screen) outlives daemon restarts: a connection that
 * closes, receives GOAWAY or fails is dropped, and the next call opens a new one. Every
 * failure, transport ones included, rejects with a PalyraError.
 */
export class UnaryHttp2Client {
  /** The live connection, or undefined once it closed, went away or failed. */
  private session: ClientHttp2Session | undefined;
  /** Calls in flight per connection: the connection keeps the process alive only while one runs. */
  private readonly inFlight = new WeakMap<ClientHttp2Session, number>();
  private closed = false;
  private readonly target: string;

  private constructor(
    private readonly connector: Connector,
    private readonly maxResponseBytes: number,
    /** Sent with every request (the remote endpoint's `authorization: Bearer <token>`). */
    private readonly requestHeaders: Readonly<Record<string, string>> = {},
  ) {
    this.target = connector.target;
  }

  /** Opens the HTTP/2 connection; rejects with PALYRA_E_DAEMON_UNREACHABLE when nothing answers. */
  static async connectUnix(
    socketPath: string,
    { timeoutMs, signal, maxResponseBytes = MAX_ADMIN_MESSAGE_BYTES, headers = {} }: ConnectOptions & { headers?: Readonly<Record<string, string>> },
  ): Promise<UnaryHttp2Client> {
    const target = `the daemon at ${socketPath}`;
    const client = new UnaryHttp2Client(
      {
        target,
        open: () => connect('http://localhost', { createConnection: () => createConnection({ path: socketPath }) }),
        // The socket's own error (ECONNREFUSED for a socket file a crashed daemon left, ENOENT
        // while a restarting daemon has not bound yet) is the cause.
        failure: (error) => new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', `cannot reach ${target}: ${error.message}`, { cause: error }),
      },
      maxResponseBytes,
      // The daemon's HTTP API calls the socket as its client's token (`authorization`).
      headers,
    );
    // Connecting now makes a caller fail fast when no daemon runs; later calls reuse it.
    await client.liveSession({ timeoutMs, ...(signal ? { signal } : {}) });
    return client;
  }

  /**
   * The same over TLS to a daemon's remote admin endpoint: the server certificate must chain
   * to `tls.caPem` and pass `tls.checkServerIdentity`, else PALYRA_E_SERVER_IDENTITY, before
   * any request (and so any header, the token included) is sent. `headers` go with every
   * request. Every new connection (after a daemon restart) is verified the same way.
   */
  static async connectTls(
    tls: TlsTarget,
    { timeoutMs, signal, maxResponseBytes = MAX_ADMIN_MESSAGE_BYTES, headers = {} }: ConnectOptions & { headers?: Readonly<Record<string, string>> },
  ): Promise<UnaryHttp2Client> {
    const address = isIP(tls.host) === 6 ? `[${tls.host}]:${tls.port}` : `${tls.host}:${tls.port}`;
    const target = `the daemon at ${address}`;
    let identityError: Error | undefined;
    const client = new UnaryHttp2Client(
      {
        target,
        open: () => {
          identityError = undefined;
          return connect(`https://${address}`, {
            createConnection: () =>
              tlsConnect({
                host: tls.host,
                port: tls.port,
                servername: tls.servername,
                // Exactly this CA: an array, even of one, also keeps Node's root store out.
                ca: [tls.caPem],
                rejectUnauthorized: true,
                minVersion: 'TLSv1.2',
                ALPNProtocols: ['h2'],
                checkServerIdentity: (host, cert) => (identityError = tls.checkServerIdentity(host, cert)),
              }),
          });
        },
        failure: (error) =>
          identityError !== undefined || isCertificateError(error)
            ? new PalyraError('PALYRA_E_SERVER_IDENTITY', `${target} presented a certificate that does not verify against the pinned CA: ${error.message}`, { cause: error })
            : new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', `cannot reach ${target}: ${error.message}`, { cause: error }),
      },
      maxResponseBytes,
      headers,
    );
    await client.liveSession({ timeoutMs, ...(signal ? { signal } : {}) });
    return client;
  }

  /** One unary call; resolves with the decoded response or rejects with a PalyraError. */
  async call<S extends ServiceName, Response>(service: S, methodName: UnaryMethodName<S>, request: object, options: UnaryCallOptions): Promise<Response> {
    const method = (PALYRA_SERVICES[service].methods as Record<string, MethodDescriptor>)[methodName];
    if (method === undefined || method.requestStream || method.responseStream) {
      throw new PalyraError('PALYRA_E_INTERNAL', `${service}.${methodName} is not a unary method`);
    }
    const { timeoutMs, signal, idempotent = false } = options;
    if (signal?.aborted === true) throw fromServiceError({ code: GRPC_STATUS.CANCELLED, details: 'cancelled' }, this.target);
    if (this.closed) throw new PalyraError('PALYRA_E_CANCELLED', `the client of ${this.target} is closed`);
    const codecs = methodCodecs(method);
    let payload: Buffer;
    try {
      payload = codecs.requestSerialize(request);
    } catch (error) {
      throw fromServiceError({ code: GRPC_STATUS.INTERNAL, details: `cannot encode the request: ${(error as Error).message}` }, this.target);
    }
    const frame = Buffer.allocUnsafe(5 + payload.length);
    frame.writeUInt8(0, 0);
    frame.writeUInt32BE(payload.length, 1);
    payload.copy(frame, 5);

    // One deadline for the whole call, reconnection and second attempt included.
    const deadline = Date.now() + timeoutMs;
    const remaining = (): number => Math.max(1, deadline - Date.now());
    const decode = codecs.responseDeserialize as (message: Buffer) => Response;
    // At most two attempts: a second only on a fresh connection, and only when the first
    // never reached the daemon or (for an idempotent call) lost its connection before any answer.
    for (let n = 0; ; n += 1) {
      const session = await this.liveSession({ timeoutMs: remaining(), ...(signal ? { signal } : {}) });
      const attempt = await this.attempt(session, method.path, frame, decode, remaining(), signal);
      if (attempt.kind === 'answer') return attempt.response;
      const retry = attempt.kind === 'not-sent' || (attempt.kind === 'connection-lost' && idempotent);
      if (!retry || n >= 1 || isAborted(signal) || Date.now() >= deadline) throw fromServiceError(attempt.status, this.target);
    }
  }

  /** Closes the connection; later calls reject with PALYRA_E_CANCELLED. */
  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = undefined;
  }

  /** The current connection, or a new one when there is none (or it died without telling yet). */
  private async liveSession({ timeoutMs, signal }: UnaryCallOptions): Promise<ClientHttp2Session> {
    if (isUsable(this.session)) return this.session;
    this.session = undefined;
    const session = await openSession(this.connector, { timeoutMs, ...(signal ? { signal } : {}) });
    if (this.closed) {
      session.destroy();
      throw new PalyraError('PALYRA_E_CANCELLED', `the client of ${this.target} is closed`);
    }
    // Two concurrent calls may both have opened one: keep the first, close the spare.
    const other = this.session as ClientHttp2Session | undefined;
    if (isUsable(other)) {
      session.close();
      return other;
    }
    const drop = (): void => {
      if (this.session === session) this.session = undefined;
    };
    // A daemon that stops sends GOAWAY then closes: no new stream may start on this
    // connection, the streams it already accepted still finish. Errors end the streams in
    // flight (each sees them) and must not crash the process.
    session.on('goaway', () => {
      drop();
      if (!session.closed) session.close();
    });
    session.on('close', drop);
    session.on('error', drop);
    session.unref();
    this.session = session;
    return session;
  }

  private attempt<Response>(
    session: ClientHttp2Session,
    path: string,
    frame: Buffer,
    decode: (message: Buffer) => Response,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Attempt<Response>> {
    return new Promise((resolve) => {
      let stream: ClientHttp2Stream;
      try {
        stream = session.request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc',
          te: 'trailers',
          'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
          ...this.requestHeaders,
        });
      } catch (error) {
        // ERR_HTTP2_INVALID_SESSION, ERR_HTTP2_GOAWAY_SESSION...: the connection died before
        // this request left; nothing reached the daemon.
        if (this.session === session) this.session = undefined;
        resolve({ kind: 'not-sent', status: { code: GRPC_STATUS.UNAVAILABLE, details: `the connection closed before the request left (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` } });
        return;
      }
      this.hold(session, +1);
      let headers: (IncomingHttpHeaders & IncomingHttpStatusHeader) | undefined;
      let trailers: IncomingHttpHeaders | undefined;
      const chunks: Buffer[] = [];
      let received = 0;
      let localFailure: StatusLike | undefined;
      const abortWith = (status: StatusLike): void => {
        localFailure ??= status;
        stream.close(constants.NGHTTP2_CANCEL);
      };
      const timer = setTimeout(() => abortWith({ code: GRPC_STATUS.DEADLINE_EXCEEDED, details: `no answer within ${timeoutMs} ms` }), timeoutMs);
      const onAbort = (): void => abortWith({ code: GRPC_STATUS.CANCELLED, details: 'cancelled' });
      signal?.addEventListener('abort', onAbort, { once: true });

      stream.on('response', (h) => (headers = h));
      stream.on('trailers', (t) => (trailers = t));
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > this.maxResponseBytes + 5) abortWith({ code: GRPC_STATUS.RESOURCE_EXHAUSTED, details: `the answer is larger than ${this.maxResponseBytes} bytes` });
        else chunks.push(chunk);
      });
      stream.on('error', () => undefined); // the outcome is decided on 'close'
      stream.on('close', () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.hold(session, -1);
        if (localFailure !== undefined) {
          resolve({ kind: 'failed', status: localFailure });
          return;
        }
        if (headers === undefined) {
          // No answer at all. REFUSED_STREAM (or a GOAWAY that excluded this stream) means
          // the daemon did not process it; otherwise the connection died and it may have.
          const refused = stream.rstCode === constants.NGHTTP2_REFUSED_STREAM;
          if (this.session === session && (session.closed || session.destroyed)) this.session = undefined;
          resolve({
            kind: refused ? 'not-sent' : 'connection-lost',
            status: { code: GRPC_STATUS.UNAVAILABLE, details: `the connection closed before an answer (HTTP/2 code ${stream.rstCode ?? 'none'})` },
          });
          return;
        }
        const outcome = readOutcome(headers, trailers, Buffer.concat(chunks));
        if ('status' in outcome) {
          resolve({ kind: 'failed', status: outcome.status });
          return;
        }
        try {
          resolve({ kind: 'answer', response: decode(outcome.message) });
        } catch (error) {
          resolve({ kind: 'failed', status: { code: GRPC_STATUS.INTERNAL, details: `cannot decode the answer: ${(error as Error).message}` } });
        }
      });
      stream.end(frame);
    });
  }

  /** Refs the connection while at least one call runs on it, so an idle one never holds the process. */
  private hold(session: ClientHttp2Session, delta: 1 | -1): void {
    const count = (this.inFlight.get(session) ?? 0) + delta;
    this.inFlight.set(session, count);
    if (session.destroyed) return;
    if (count > 0) session.ref();
    else session.unref();
  }
}

function isUsable(session: ClientHttp2Session | undefined): session is ClientHttp2Session {
  return session !== undefined && !session.closed && !session.destroyed;
}

/** Read through a function: TypeScript would keep an earlier check's narrowing across awaits. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/**
 * OpenSSL's verification failures (node:tls reports them with these codes): a server whose
 * certificate does not chain to the trusted CA, or is not valid now.
 */
const CERTIFICATE_ERROR_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  // A certificate not meant for a TLS server: a paired node's (EKU clientAuth only, issued by
  // the very CA the operator pinned) posing as the daemon. An impostor, not an unreachable daemon.
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'CERT_CHAIN_TOO_LONG',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function isCertificateError(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && CERTIFICATE_ERROR_CODES.has(code);
}

/** Opens one HTTP/2 connection; the connector's failure (with the socket error as cause), PALYRA_E_CANCELLED or _TIMEOUT. */
function openSession(connector: Connector, { timeoutMs, signal }: UnaryCallOptions): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(fromServiceError({ code: GRPC_STATUS.CANCELLED, details: 'cancelled while connecting' }));
      return;
    }
    const session = connector.open();
    const fail = (error: PalyraError): void => {
      cleanup();
      session.destroy();
      reject(error);
    };
    const onError = (error: Error): void => fail(connector.failure(error));
    const onClose = (): void => fail(new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', `cannot reach ${connector.target}: the connection closed while opening`));
    const onAbort = (): void => fail(fromServiceError({ code: GRPC_STATUS.CANCELLED, details: 'cancelled while connecting' }));
    const timer = setTimeout(() => fail(fromServiceError({ code: GRPC_STATUS.DEADLINE_EXCEEDED, details: `no HTTP/2 connection within ${timeoutMs} ms` }, connector.target)), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      session.off('error', onError);
      session.off('close', onClose);
    };
    session.once('error', onError);
    session.once('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
    session.once('connect', () => {
      cleanup();
      // Errors after this point fail the streams in flight; none may crash the process.
      session.on('error', () => undefined);
      resolve(session);
    });
  });
}

/** The response message, or the status the call ended with. */
function readOutcome(
  headers: IncomingHttpHeaders & IncomingHttpStatusHeader,
  trailers: IncomingHttpHeaders | undefined,
  body: Buffer,
): { message: Buffer } | { status: StatusLike } {
  const httpStatus = headers[':status'];
  if (httpStatus !== 200) return { status: { code: GRPC_STATUS.INTERNAL, details: `HTTP status ${String(httpStatus)}` } };
  // A trailers-only answer (an error before any message) carries the status in its headers.
  const statusHeaders = trailers ?? (headers['grpc-status'] !== undefined ? headers : undefined);
  if (statusHeaders === undefined) return { status: { code: GRPC_STATUS.INTERNAL, details: 'the answer ended without a status' } };
  const code = Number(statusHeaders['grpc-status']);
  if (code !== GRPC_STATUS.OK) {
    const errorBin = statusHeaders[ERROR_METADATA_KEY];
    const details = decodeGrpcMessage(statusHeaders['grpc-message']);
    return {
      status: {
        code: Number.isInteger(code) ? code : GRPC_STATUS.UNKNOWN,
        details,
        metadata: { get: (key) => (key === ERROR_METADATA_KEY && typeof errorBin === 'string' ? [Buffer.from(errorBin, 'base64')] : []) },
      },
    };
  }
  // Exactly one uncompressed message (no grpc-accept-encoding was offered).
  if (body.length < 5 || body.readUInt8(0) !== 0 || body.readUInt32BE(1) !== body.length - 5) {
    return { status: { code: GRPC_STATUS.INTERNAL, details: 'the answer is not one uncompressed gRPC message' } };
  }
  return { message: body.subarray(5) };
}

function decodeGrpcMessage(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
