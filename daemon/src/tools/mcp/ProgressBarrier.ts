import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { EmptyResultSchema, type ProgressNotification, type ServerNotification, type ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '@palyra/shared/logging';

/** How long a client may take to answer the barrier's ping before the result goes anyway. */
export const DEFAULT_BARRIER_TIMEOUT_MS = 2_000;

export interface ProgressBarrierOptions {
  timeoutMs?: number;
  logger?: Logger;
}

/** What the barrier needs of a request handler's `extra`: its channel back to the client. */
export type BarrierChannel = Pick<RequestHandlerExtra<ServerRequest, ServerNotification>, 'sendRequest' | 'sendNotification'>;

/** One call's progress notifications, then settle() before its result. */
export interface CallProgress {
  /** Sends one notifications/progress on the call's channel (a failure is logged: the client is gone). */
  notify(params: ProgressNotification['params']): void;
  /** Resolves once the client has handled every notification sent so far (or the barrier gave up). Never rejects. */
  settle(): Promise<void>;
}

/**
 * Makes a tool call's progress notifications reach the client before its result.
 *
 * Why: the TypeScript MCP SDK client (1.32.2; modelcontextprotocol/typescript-sdk#2580) runs
 * notification handlers a microtask later but handles a response at once, and the response
 * retires the request's progress handler. Progress written just before the result usually
 * arrives in the same read as the result (stdio, an SSE chunk) and is dropped there ("unknown
 * token"): with hello.greet only the first chunk reached the client. The server sends in order;
 * nothing it writes can fix that, but a round trip can: a ping sent after the last
 * notification is answered only after the client ran the handlers of everything read before
 * it (microtasks run in order), so once its answer is back the result may go.
 *
 * One ping per call that sent progress; a call that sent none costs nothing. It goes on the
 * request's own channel (`extra.sendRequest`: the request's SSE stream over Streamable HTTP),
 * bounded by `timeoutMs` and the call's signal. A client that fails to answer once is not
 * pinged again by this barrier (the spec says it must answer; one that does not would only be
 * slowed down). One barrier per MCP server, that is per client session.
 */
export class ProgressBarrier {
  private readonly timeoutMs: number;
  private unanswered = false;

  constructor(private readonly options: ProgressBarrierOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_BARRIER_TIMEOUT_MS;
  }

  /** The progress of one call on `extra`'s channel; `signal` ends its wait (the call was cancelled). */
  call(extra: BarrierChannel, signal?: AbortSignal): CallProgress {
    let sent = false;
    // A function, not a narrowed expression: the signal may abort while the ping waits.
    const aborted = (): boolean => signal?.aborted === true;
    return {
      notify: (params) => {
        sent = true;
        extra
          .sendNotification({ method: 'notifications/progress', params })
          .catch((error: unknown) => this.options.logger?.debug({ err: error }, 'mcp: progress not sent'));
      },
      settle: async () => {
        if (!sent || this.unanswered || aborted()) return;
        try {
          await extra.sendRequest({ method: 'ping' }, EmptyResultSchema, { timeout: this.timeoutMs, ...(signal ? { signal } : {}) });
        } catch (error) {
          if (aborted()) return;
          this.unanswered = true;
          this.options.logger?.debug({ err: error }, 'mcp: the client did not answer the progress barrier ping; results follow progress without it from now on');
        }
      },
    };
  }
}
