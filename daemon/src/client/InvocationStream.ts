import type * as grpc from '@grpc/grpc-js';
import type { AdminServiceClient, InvokeEvent__Output, InvokeManyEvent__Output, InvokeManyRequest } from '@palyra/proto';
import { fromServiceError } from '@palyra/proto/client';
import { PalyraError, parseErrorDetails } from '@palyra/shared/errors';
import { toInvocationEvent, type InvocationEvent, type InvokeRequestOptions } from './invocation.js';

/** How long an InvokeMany stream with no call on it stays open for the next one. */
const DEFAULT_IDLE_CLOSE_MS = 1_000;

type Duplex = grpc.ClientDuplexStream<InvokeManyRequest, InvokeManyEvent__Output>;

/** One call's events as they arrive, read by its generator. */
class CallInbox {
  private readonly items: InvokeEvent__Output[] = [];
  private failure: unknown;
  private wake: (() => void) | undefined;

  constructor(readonly stream: Duplex) {}

  push(event: InvokeEvent__Output): void {
    this.items.push(event);
    this.wake?.();
  }

  fail(error: unknown): void {
    this.failure ??= error;
    this.wake?.();
  }

  async next(): Promise<InvokeEvent__Output> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) return item;
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/**
 * Runs the client's invocations over one AdminService.InvokeMany stream, opened on the first
 * call and closed after a second without calls. A stream per call (AdminService.Invoke) costs
 * the daemon more than the dispatch itself; here a call is one message each way plus output.
 */
export class InvocationStream {
  private stream: Duplex | undefined;
  private readonly inboxes = new Map<number, CallInbox>();
  private nextCallId = 1;
  private idleTimer: NodeJS.Timeout | undefined;

  private readonly idleCloseMs: number;

  constructor(
    /** The grpc-js client, loaded on the first call. */
    private readonly client: () => Promise<AdminServiceClient>,
    { idleCloseMs = DEFAULT_IDLE_CLOSE_MS }: { idleCloseMs?: number } = {},
  ) {
    this.idleCloseMs = idleCloseMs;
  }

  /**
   * One invocation: yields its events and ends with the result. Aborting `signal` (or leaving
   * the loop before the result) cancels the dispatch on the node. With `resultOnly`, the
   * daemon skips the `accepted` and `state` events.
   */
  async *invoke(request: InvokeRequestOptions, { resultOnly = false }: { resultOnly?: boolean } = {}): AsyncGenerator<InvocationEvent, void, undefined> {
    const { signal } = request;
    // A function, not a narrowed expression: the signal may abort while the loop waits.
    const aborted = (): boolean => signal?.aborted === true;
    if (aborted()) throw new PalyraError('PALYRA_E_CANCELLED', 'the invocation was cancelled');
    const client = await this.client();
    const callId = this.allocateCallId();
    const stream = this.openStream(client);
    const inbox = new CallInbox(stream);
    this.inboxes.set(callId, inbox);
    const onAbort = (): void => inbox.fail(new PalyraError('PALYRA_E_CANCELLED', 'the invocation was cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    let ended = false;
    try {
      stream.write({
        callId,
        resultOnly,
        invoke: {
          deviceId: request.deviceId,
          capability: request.capability,
          inputJson: JSON.stringify(request.input ?? {}),
          timeoutMs: request.timeoutMs ?? 0,
          idempotencyKey: request.idempotencyKey ?? '',
        },
      });
      for (;;) {
        const event = toInvocationEvent(await inbox.next());
        if (event === undefined) continue;
        if (event.type === 'result') {
          ended = true;
          yield event;
          return;
        }
        yield event;
      }
    } catch (error) {
      // A refusal ended the call on the daemon's side too.
      if (error instanceof RefusedCall) {
        ended = true;
        throw error.error;
      }
      if (aborted()) throw new PalyraError('PALYRA_E_CANCELLED', 'the invocation was cancelled', { cause: error });
      throw error instanceof PalyraError ? error : fromServiceError(error);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.inboxes.delete(callId);
      // A call left before its result is cancelled: that cancels the dispatch on the node.
      if (!ended && this.stream === stream && !stream.writableEnded) stream.write({ callId, cancel: {} });
      this.closeWhenIdle();
    }
  }

  /** Ends the stream; calls still running fail with PALYRA_E_CANCELLED (their dispatches are cancelled). */
  close(): void {
    clearTimeout(this.idleTimer);
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
  }

  private allocateCallId(): number {
    // uint32 on the wire; ids wrap after 4e9 calls and only need to be unique among live calls.
    do {
      this.nextCallId = this.nextCallId >= 0xffff_ffff ? 1 : this.nextCallId + 1;
    } while (this.inboxes.has(this.nextCallId));
    return this.nextCallId;
  }

  private openStream(client: AdminServiceClient): Duplex {
    clearTimeout(this.idleTimer);
    if (this.stream !== undefined) return this.stream;
    const stream = client.invokeMany();
    this.stream = stream;
    stream.on('data', (message: InvokeManyEvent__Output) => {
      const inbox = this.inboxes.get(message.callId);
      if (inbox === undefined || inbox.stream !== stream) return;
      if (message.refused) {
        const { code, message: text, detailsJson } = message.refused;
        inbox.fail(new RefusedCall(PalyraError.fromJSON({ code, message: text, details: parseErrorDetails(detailsJson) })));
      } else if (message.event) {
        inbox.push(message.event);
      }
    });
    const failAll = (error: unknown): void => {
      if (this.stream === stream) this.stream = undefined;
      for (const inbox of this.inboxes.values()) if (inbox.stream === stream) inbox.fail(error);
    };
    stream.on('error', (error) => failAll(fromServiceError(error)));
    stream.on('end', () => failAll(new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', 'the daemon ended the invocation stream')));
    return stream;
  }

  private closeWhenIdle(): void {
    if (this.inboxes.size > 0 || this.stream === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      const stream = this.stream;
      if (this.inboxes.size > 0 || stream === undefined) return;
      this.stream = undefined;
      stream.end();
    }, this.idleCloseMs);
    // An idle stream must not keep a finished program alive longer than the idle window.
    this.idleTimer.unref();
  }
}

/** A call the daemon refused outright; carries the daemon's error. */
class RefusedCall extends Error {
  constructor(readonly error: PalyraError) {
    super(error.message);
  }
}
