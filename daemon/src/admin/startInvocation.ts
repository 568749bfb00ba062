import type { InvokeEvent, InvokeRequest__Output } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { Dispatch, DispatchCoordinator, DispatchEvent, DispatchResult, Submitted } from '../dispatch/index.js';
import { toErrorInfo } from './errorInfo.js';
import { recordDispatch, unrecordedDispatch, type InvocationAudit } from './dispatchAudit.js';

export const DEFAULT_INVOKE_TIMEOUT_MS = 30_000;
const MAX_INPUT_JSON_BYTES = 1024 * 1024;

/** Where one invocation's events go: its own stream (Invoke) or a tagged shared one (InvokeMany). */
export interface InvocationSink {
  write(event: InvokeEvent): void;
  /** After the result: the invocation is over. */
  end(): void;
  /**
   * The invocation ended without a result: the daemon refused the request outright (unknown
   * node, bad input, full queue), or it is stopping (PALYRA_E_DAEMON_UNREACHABLE).
   */
  fail(error: PalyraError): void;
  /** True once nobody can receive events any more. */
  readonly closed: boolean;
}

export interface StartedInvocation {
  /** The caller went away: cancels the dispatch unless this caller only joined another's. */
  abandon(): void;
  readonly finished: boolean;
}

/**
 * Submits one invocation and relays its events to `sink` until the result. A refusal of the
 * request (unknown node, bad input, full queue) goes to `sink.fail`; a dispatch that fails on
 * the node is a result, not a refusal. With `resultOnly`, the accepted and state events are
 * not sent (callers that only wait for the result save a message or three per call).
 */
export function startInvocation(
  dispatcher: DispatchCoordinator,
  request: InvokeRequest__Output,
  sink: InvocationSink,
  { resultOnly = false, caller = 'local', audit }: { resultOnly?: boolean; caller?: string; audit?: InvocationAudit } = {},
): StartedInvocation {
  const startedAt = Date.now();
  const record = (end: Parameters<typeof recordDispatch>[3]): Promise<void> => recordDispatch(audit, request, startedAt, end);
  let relay: StartedInvocation | undefined;
  let abandoned = false;
  let submitted: Promise<Submitted>;
  try {
    const input = parseInput(request.inputJson);
    submitted = dispatcher.submit({
      deviceId: request.deviceId,
      capability: request.capability,
      input,
      timeoutMs: request.timeoutMs > 0 ? request.timeoutMs : DEFAULT_INVOKE_TIMEOUT_MS,
      idempotencyKey: request.idempotencyKey || undefined,
      caller,
    });
  } catch (error) {
    submitted = Promise.reject(error as Error);
  }
  submitted.then(
    ({ dispatch, deduplicated, checked }) => {
      relay = relayDispatch(dispatcher, dispatch, sink, { resultOnly, deduplicated, after: checked, record });
      if (abandoned) relay.abandon();
    },
    (error: unknown) => {
      const refusal = PalyraError.from(error);
      // A refusal is recorded too (who tried what), before the caller hears of it.
      record({ outcome: 'refused', errorCode: refusal.code }).then(
        () => {
          if (!sink.closed) sink.fail(refusal);
        },
        (auditError: unknown) => {
          if (!sink.closed) sink.fail(PalyraError.from(auditError));
        },
      );
    },
  );
  return {
    get finished() {
      return relay?.finished ?? false;
    },
    abandon() {
      abandoned = true;
      relay?.abandon();
    },
  };
}

/**
 * Relays a dispatch's events to `sink` until its result (at once for a finished one), from
 * when `after` settles. `deduplicated`: the caller joined someone else's dispatch (or only
 * watches it), so going away leaves it running.
 */
export function relayDispatch(
  dispatcher: DispatchCoordinator,
  dispatch: Dispatch,
  sink: InvocationSink,
  {
    resultOnly = false,
    deduplicated = false,
    after = Promise.resolve(),
    record,
  }: { resultOnly?: boolean; deduplicated?: boolean; after?: Promise<void>; record?: (end: { outcome: string; dispatchId?: string; errorCode?: string; durationMs?: number; deduplicated?: boolean }) => Promise<void> } = {},
): StartedInvocation {
  let finished = false;
  let abandoned = false;
  let unsubscribe = (): void => undefined;
  // Reported once the input check (in the schema worker) is over, so that a refused input
  // reads as before: accepted, then the result at once, the node never told.
  void after.then(() => {
    if (abandoned || sink.closed) return;
    if (!resultOnly) {
      sink.write({ accepted: { dispatchId: dispatch.id, deduplicated } });
      // The dispatch may have moved before this caller subscribed: report where it stands.
      if (!dispatch.finished) sink.write({ state: { state: dispatch.state } });
    }
    unsubscribe = dispatch.subscribe((event: DispatchEvent) => {
      if (sink.closed) return;
      switch (event.type) {
        case 'state':
          if (!resultOnly) sink.write({ state: { state: event.state } });
          break;
        case 'output':
          sink.write({ output: { chunk: event.chunk } });
          break;
        case 'progress':
          sink.write({ progress: { ratio: event.ratio, message: event.message } });
          break;
        case 'result': {
          finished = true;
          const result = event.result;
          // The entry is durable before the caller sees the result.
          void (record?.({ outcome: result.status, dispatchId: result.dispatchId, durationMs: result.durationMs, deduplicated, ...(result.error === null ? {} : { errorCode: result.error.code }) }) ?? Promise.resolve()).then(
            () => {
              if (sink.closed) return;
              sink.write({ result: toInvokeResult(result) });
              sink.end();
            },
            (error: unknown) => {
              if (!sink.closed) sink.fail(unrecordedDispatch(error, result.dispatchId, result.status));
            },
          );
          break;
        }
        case 'interrupted':
          finished = true;
          // The daemon is stopping: recorded when the log still takes entries; the dispatch
          // stays in the journal for the next run either way.
          void (record?.({ outcome: 'interrupted', dispatchId: dispatch.id, errorCode: event.error.code, deduplicated }) ?? Promise.resolve())
            .catch(() => undefined)
            .finally(() => sink.fail(event.error));
          break;
      }
    });
  });
  return {
    get finished() {
      return finished;
    },
    abandon() {
      if (abandoned) return;
      abandoned = true;
      unsubscribe();
      // A deduplicated caller only watched someone else's dispatch; leave it running.
      if (!deduplicated && !dispatch.finished) dispatcher.cancel(dispatch.id, 'the caller went away');
      // Nobody is left to answer: the entry is written for the record (its failure only logged by the sink).
      if (!finished) void record?.({ outcome: 'abandoned', dispatchId: dispatch.id, deduplicated }).catch(() => undefined);
    },
  };
}

export function toInvokeResult(result: DispatchResult): NonNullable<InvokeEvent['result']> {
  return {
    dispatchId: result.dispatchId,
    status: result.status,
    outputJson: result.output === null ? '' : JSON.stringify(result.output),
    // The plugin and capability at fault (and the plugin's own details) travel on.
    error: result.error === null ? null : toErrorInfo(result.error),
    durationMs: result.durationMs,
  };
}

function parseInput(json: string): unknown {
  if (json.length > MAX_INPUT_JSON_BYTES) {
    throw new PalyraError('PALYRA_E_INPUT_INVALID', `the input is larger than ${MAX_INPUT_JSON_BYTES} bytes`);
  }
  if (json.trim() === '') return {};
  try {
    return JSON.parse(json) as unknown;
  } catch (error) {
    throw new PalyraError('PALYRA_E_INPUT_INVALID', `the input is not valid JSON: ${(error as Error).message}`);
  }
}
