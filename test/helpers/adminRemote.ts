import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { fromServiceError, loadPalyraProto, type AdminServiceClient } from '@palyra/proto';
import type { PalyraError } from '@palyra/shared/errors';

/**
 * A raw grpc-js AdminService client for the daemon's remote admin endpoint (`--admin-listen`):
 * TLS verified against the CA of the daemon's state dir (ca.crt), and `authorization: Bearer
 * <token>` on every call. For tests of the endpoint itself; programs use ControlClient.
 * `authorization` replaces the header as sent (malformed tokens, other schemes); `null` sends none.
 */
export async function remoteAdminClient(
  address: string,
  stateDir: string,
  token: string | null,
  { authorization }: { authorization?: string } = {},
): Promise<RemoteAdmin> {
  const caPem = await readFile(join(stateDir, 'ca.crt'));
  const ssl = grpc.credentials.createSsl(caPem);
  const header = authorization ?? (token === null ? undefined : `Bearer ${token}`);
  const credentials =
    header === undefined
      ? ssl
      : grpc.credentials.combineChannelCredentials(
          ssl,
          grpc.credentials.createFromMetadataGenerator((_params, callback) => {
            const metadata = new grpc.Metadata();
            metadata.add('authorization', header);
            callback(null, metadata);
          }),
        );
  // A fresh channel per client: tests that count calls or failures must not share one.
  const client = new (loadPalyraProto().AdminService)(address, credentials, { 'grpc.use_local_subchannel_pool': 1 }) as unknown as AdminServiceClient;
  return new RemoteAdmin(client);
}

type UnaryMethod = (request: object, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: unknown) => void) => grpc.ClientUnaryCall;

export class RemoteAdmin {
  constructor(readonly client: AdminServiceClient) {}

  /** One unary call; rejects with the daemon's PalyraError (code, details) and keeps the gRPC status on `grpcCode`. */
  unary<T = Record<string, unknown>>(method: string, request: object = {}, timeoutMs = 15_000): Promise<T> {
    const fn = (this.client as unknown as Record<string, UnaryMethod>)[method];
    if (fn === undefined) throw new Error(`AdminService has no method ${method}`);
    return new Promise<T>((resolve, reject) => {
      fn.call(this.client, request, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) reject(withStatus(error));
        else resolve(response as T);
      });
    });
  }

  /** A server-streaming call: its messages as they come, and how it ended. */
  serverStream<T = Record<string, unknown>>(method: string, request: object = {}): RemoteStream<T> {
    const fn = (this.client as unknown as Record<string, (request: object) => grpc.ClientReadableStream<T>>)[method];
    if (fn === undefined) throw new Error(`AdminService has no method ${method}`);
    return new RemoteStream<T>(fn.call(this.client, request));
  }

  close(): void {
    this.client.close();
  }
}

/** A PalyraError with the gRPC status code it came with. */
export type RemoteError = PalyraError & { grpcCode: grpc.status };

function withStatus(error: grpc.ServiceError): RemoteError {
  const palyra = fromServiceError(error) as RemoteError;
  palyra.grpcCode = error.code;
  return palyra;
}

export class RemoteStream<T> {
  readonly messages: T[] = [];
  /** Resolves with the error the stream ended with, or null when it ended cleanly. */
  readonly ended: Promise<RemoteError | null>;
  /**
   * Resolves once the daemon admitted the stream (it sends headers right after the access
   * check), or rejects with the error of a stream refused or ended before that.
   */
  readonly admitted: Promise<void>;
  private waiters: (() => void)[] = [];

  constructor(readonly call: grpc.ClientReadableStream<T>) {
    this.admitted = new Promise<void>((resolve, reject) => {
      call.once('metadata', () => resolve());
      call.once('error', (error: grpc.ServiceError) => reject(withStatus(error)));
    });
    // Observed by whoever awaits it; a refused stream must not be an unhandled rejection.
    this.admitted.catch(() => undefined);
    call.on('data', (message: T) => {
      this.messages.push(message);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.ended = new Promise((resolve) => {
      call.on('error', (error: grpc.ServiceError) => resolve(withStatus(error)));
      call.on('end', () => resolve(null));
    });
  }

  /** Waits until `count` messages arrived (or the stream ended). */
  async received(count: number): Promise<T[]> {
    while (this.messages.length < count) {
      const ended = await Promise.race([this.ended.then(() => true), new Promise<false>((resolve) => this.waiters.push(() => resolve(false)))]);
      if (ended && this.messages.length < count) throw new Error(`the stream ended after ${this.messages.length} messages, before ${count}`);
    }
    return this.messages;
  }

  cancel(): void {
    this.call.cancel();
  }
}
