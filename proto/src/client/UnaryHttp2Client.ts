import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders, type IncomingHttpStatusHeader } from 'node:http2';
import { createConnection } from 'node:net';
import { methodCodecs } from '../codecs.js';
import { PALYRA_SERVICES } from '../generated/descriptor.js';
import { ERROR_METADATA_KEY, GRPC_STATUS, fromServiceError, type StatusLike } from '../statusErrors.js';
import { PalyraError } from '@palyra/shared/errors';

type ServiceName = keyof typeof PALYRA_SERVICES;
type UnaryMethodName<S extends ServiceName> = keyof (typeof PALYRA_SERVICES)[S]['methods'] & string;

/**
 * The largest answer accepted. Above grpc-js's default 4 MiB: the node list of a daemon with
 * 10,000 nodes is about 5 MB, and this client only ever talks to the local admin socket.
 */
export const MAX_ADMIN_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface UnaryCallOptions {
  /** Milliseconds until the call fails with PALYRA_E_TIMEOUT (also sent as grpc-timeout). */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * A unary gRPC client over one HTTP/2 connection to a Unix socket, without grpc-js. A CLI
 * command makes one or two unary calls on the admin socket and exits: grpc-js's channel stack
 * (resolver, load balancer, retries, keepalive) buys nothing there, and loading it and making
 * its first call cost more than the rest of the command. Streaming calls stay on grpc-js.
 * Speaks the gRPC-over-HTTP/2 wire format: 5-byte length-prefixed messages, status and
 * message in trailers (or a trailers-only response), `-bin` metadata base64-encoded.
 */
export class UnaryHttp2Client {
  private constructor(
    private readonly session: ClientHttp2Session,
    private readonly target: string,
    private readonly maxResponseBytes: number,
  ) {}

  /** Opens the HTTP/2 connection; rejects with PALYRA_E_DAEMON_UNREACHABLE when nothing answers. */
  static connectUnix(
    socketPath: string,
    { timeoutMs, signal, maxResponseBytes = MAX_ADMIN_MESSAGE_BYTES }: UnaryCallOptions & { maxResponseBytes?: number },
  ): Promise<UnaryHttp2Client> {
    return new Promise((resolve, reject) => {
      const session = connect('http://localhost', { createConnection: () => createConnection({ path: socketPath }) });
      const fail = (error: PalyraError): void => {
        cleanup();
        session.destroy();
        reject(error);
      };
      // The socket's own error (ECONNREFUSED for a socket file a crashed daemon left) is the cause.
      const onError = (error: Error): void =>
        fail(new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', `cannot reach the daemon at ${socketPath}: ${error.message}`, { cause: error }));
      const onAbort = (): void => fail(fromServiceError({ code: GRPC_STATUS.CANCELLED, details: 'cancelled while connecting' }));
      const timer = setTimeout(() => fail(fromServiceError({ code: GRPC_STATUS.DEADLINE_EXCEEDED, details: `no HTTP/2 connection within ${timeoutMs} ms` }, `the daemon at ${socketPath}`)), timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        session.off('error', onError);
      };
      session.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
      session.once('connect', () => {
        cleanup();
        // Later session errors fail the calls in flight (each stream sees them); none may crash the process.
        session.on('error', () => undefined);
        // An idle connection must not keep a finished program alive; calls ref it while they run.
        session.unref();
        resolve(new UnaryHttp2Client(session, `the daemon at ${socketPath}`, maxResponseBytes));
      });
    });
  }

  /** One unary call; resolves with the decoded response or rejects with a PalyraError. */
  call<S extends ServiceName, Response>(service: S, methodName: UnaryMethodName<S>, request: object, { timeoutMs, signal }: UnaryCallOptions): Promise<Response> {
    const method = (PALYRA_SERVICES[service].methods as Record<string, { path: string; requestType: string; responseType: string; requestStream: boolean; responseStream: boolean }>)[methodName];
    if (method === undefined || method.requestStream || method.responseStream) {
      return Promise.reject(new Error(`${service}.${methodName} is not a unary method`));
    }
    const codecs = methodCodecs(method);
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(fromServiceError({ code: GRPC_STATUS.CANCELLED, details: 'cancelled' }, this.target));
        return;
      }
      let payload: Buffer;
      try {
        payload = codecs.requestSerialize(request);
      } catch (error) {
        reject(fromServiceError({ code: GRPC_STATUS.INTERNAL, details: `cannot encode the request: ${(error as Error).message}` }, this.target));
        return;
      }
      const frame = Buffer.allocUnsafe(5 + payload.length);
      frame.writeUInt8(0, 0);
      frame.writeUInt32BE(payload.length, 1);
      payload.copy(frame, 5);

      this.session.ref();
      const stream = this.session.request({
        ':method': 'POST',
        ':path': method.path,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
      });
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
        this.session.unref();
        const outcome = localFailure !== undefined ? { status: localFailure } : readOutcome(headers, trailers, Buffer.concat(chunks), stream.rstCode);
        if ('status' in outcome) {
          reject(fromServiceError(outcome.status, this.target));
          return;
        }
        try {
          resolve(codecs.responseDeserialize(outcome.message) as Response);
        } catch (error) {
          reject(fromServiceError({ code: GRPC_STATUS.INTERNAL, details: `cannot decode the answer: ${(error as Error).message}` }, this.target));
        }
      });
      stream.end(frame);
    });
  }

  close(): void {
    this.session.close();
  }
}

/** The response message, or the status the call ended with. */
function readOutcome(
  headers: (IncomingHttpHeaders & IncomingHttpStatusHeader) | undefined,
  trailers: IncomingHttpHeaders | undefined,
  body: Buffer,
  rstCode: number | undefined,
): { message: Buffer } | { status: StatusLike } {
  if (headers === undefined) {
    return { status: { code: GRPC_STATUS.UNAVAILABLE, details: `the connection closed before an answer (HTTP/2 code ${rstCode ?? 'none'})` } };
  }
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
