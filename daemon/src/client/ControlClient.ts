import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  fromServiceError,
  loadPalyraProto,
  type AdminServiceClient,
  type DaemonStatus__Output,
  type NodeInfo__Output,
  type PairingCode__Output,
  type PendingRequest__Output,
} from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { DaemonEvent, DaemonEventType } from '@palyra/shared/quic';
import { ADMIN_SOCKET_NAME } from '../admin/socketName.js';
import { readApprovals, type ApprovalsEvent } from './approvals.js';
import { readEvents } from './events.js';
import { InvocationStream } from './InvocationStream.js';
import type { InvocationEvent, InvocationResult, InvokeRequestOptions } from './invocation.js';

export interface CallOptions {
  signal?: AbortSignal;
  /** Milliseconds; default 10 s. */
  timeoutMs?: number;
}

/**
 * Typed client of a running daemon's admin API. The CLI uses it; so can any program of the
 * same user on the same machine.
 */
export class ControlClient {
  private readonly invocations: InvocationStream;

  private constructor(
    private readonly client: AdminServiceClient,
    readonly socketPath: string,
  ) {
    this.invocations = new InvocationStream(client);
  }

  /** Connects to the daemon whose state dir is given; fails fast when none runs there. */
  static async connect(stateDir: string, { signal, timeoutMs = 3_000 }: CallOptions = {}): Promise<ControlClient> {
    const socketPath = join(stateDir, ADMIN_SOCKET_NAME);
    const unreachable = (detail: string): PalyraError =>
      new PalyraError(
        'PALYRA_E_DAEMON_UNREACHABLE',
        `no daemon answers on ${socketPath} (${detail}): start it with palyrad start --state-dir ${stateDir}`,
      );
    if (!existsSync(socketPath)) throw unreachable('no admin socket');
    // A daemon that crashed (or a reboot) leaves its socket file behind. grpc would keep
    // retrying a refused connection until the deadline; one plain connect tells at once.
    await probeSocket(socketPath, signal).catch((error: NodeJS.ErrnoException) => {
      throw unreachable(error.code ?? error.message);
    });
    const { AdminService } = loadPalyraProto();
    const client = new AdminService(`unix://${socketPath}`, grpc.credentials.createInsecure());
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(new PalyraError('PALYRA_E_CANCELLED', 'cancelled while connecting'));
        signal?.addEventListener('abort', onAbort, { once: true });
        client.waitForReady(Date.now() + timeoutMs, (error) => {
          signal?.removeEventListener('abort', onAbort);
          if (error) reject(unreachable(error.message));
          else resolve();
        });
      });
    } catch (error) {
      client.close();
      throw error;
    }
    return new ControlClient(client, socketPath);
  }

  close(): void {
    this.invocations.close();
    this.client.close();
  }

  status(options?: CallOptions): Promise<DaemonStatus__Output> {
    return this.unary((cb, o) => this.client.getStatus({}, o, cb), options);
  }

  createPairingCode(request: { method: 'pin' | 'qr'; ttlMs?: number }, options?: CallOptions): Promise<PairingCode__Output> {
    const ttlSeconds = request.ttlMs === undefined ? 0 : Math.ceil(request.ttlMs / 1000);
    return this.unary((cb, o) => this.client.createPairingCode({ method: request.method, ttlSeconds }, o, cb), options);
  }

  async listPending(options?: CallOptions): Promise<PendingRequest__Output[]> {
    const response = await this.unary<{ requests: PendingRequest__Output[] }>(
      (cb, o) => this.client.listPending({}, o, cb),
      options,
    );
    return response.requests;
  }

  decide(id: string, approve: boolean, options?: CallOptions): Promise<PendingRequest__Output> {
    return this.unary((cb, o) => this.client.decide({ id, approve }, o, cb), options);
  }

  async listNodes(options?: CallOptions): Promise<NodeInfo__Output[]> {
    const response = await this.unary<{ nodes: NodeInfo__Output[] }>((cb, o) => this.client.listNodes({}, o, cb), options);
    return response.nodes;
  }

  removeNode(deviceId: string, options?: CallOptions): Promise<NodeInfo__Output> {
    return this.unary((cb, o) => this.client.removeNode({ deviceId }, o, cb), options);
  }

  /**
   * Dispatches one capability request: yields `accepted`, state changes, output chunks and
   * progress as they happen, and ends with the `result`. Aborting `signal` (or breaking out
   * of the loop) cancels the dispatch on the node.
   */
  invoke(request: InvokeRequestOptions): AsyncGenerator<InvocationEvent, void, undefined> {
    return this.invocations.invoke(request);
  }

  /** Dispatches and waits for the result, collecting output chunks. */
  async invokeAndWait(request: InvokeRequestOptions): Promise<InvocationResult & { stdout: Buffer }> {
    const chunks: Buffer[] = [];
    for await (const event of this.invocations.invoke(request, { resultOnly: true })) {
      if (event.type === 'output') chunks.push(event.chunk);
      if (event.type === 'result') return { ...event.result, stdout: Buffer.concat(chunks) };
    }
    throw new PalyraError('PALYRA_E_INTERNAL', 'the daemon ended the invocation without a result');
  }

  /**
   * Follows the approval queue live: yields a `snapshot` (pending requests and nodes) first,
   * then `request-added`, `request-decided` (approved, rejected, expired), `node-online` and
   * `node-offline` as they happen. Never ends by itself: abort `signal` (or leave the loop) to
   * stop, which ends the iteration quietly; a daemon that goes away ends it with
   * PALYRA_E_DAEMON_UNREACHABLE (watch again to resume from a new snapshot).
   */
  watchApprovals({ signal }: { signal?: AbortSignal } = {}): AsyncGenerator<ApprovalsEvent, void, undefined> {
    return readApprovals(this.client.watchApprovals({}), signal);
  }

  /**
   * Follows the daemon's events (dispatch state changes, nodes online/offline, pairing
   * requests), only `types` when given. Never ends by itself: abort `signal` to stop.
   */
  streamEvents({ types = [], signal }: { types?: DaemonEventType[]; signal?: AbortSignal } = {}): AsyncGenerator<DaemonEvent, void, undefined> {
    return readEvents(this.client.streamEvents({ types }), signal);
  }

  /** Cancels a running dispatch by id; false when it had already finished. */
  async cancelDispatch(dispatchId: string, options?: CallOptions): Promise<boolean> {
    const response = await this.unary<{ cancelled: boolean }>((cb, o) => this.client.cancelDispatch({ dispatchId }, o, cb), options);
    return response.cancelled;
  }

  private unary<T>(
    start: (callback: (error: grpc.ServiceError | null, value?: T) => void, options: grpc.CallOptions) => grpc.ClientUnaryCall,
    { signal, timeoutMs = 10_000 }: CallOptions = {},
  ): Promise<T> {
    signal?.throwIfAborted();
    return new Promise<T>((resolve, reject) => {
      const call = start(
        (error, value) => {
          signal?.removeEventListener('abort', onAbort);
          if (error) reject(fromServiceError(error));
          else if (value === undefined) reject(new PalyraError('PALYRA_E_INTERNAL', 'the daemon sent an empty answer'));
          else resolve(value);
        },
        { deadline: Date.now() + timeoutMs },
      );
      const onAbort = (): void => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Resolves when something accepts connections on the Unix socket, rejects with the errno otherwise. */
function probeSocket(socketPath: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path: socketPath, signal });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}
