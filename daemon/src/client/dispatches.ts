import type * as grpc from '@grpc/grpc-js';
import type { DispatchInfo__Output, InvokeEvent__Output } from '@palyra/proto';
import type { DispatchState } from '../dispatch/types.js';
import { toInvocationEvent, type InvocationEvent, type InvocationResult } from './invocation.js';
import { readWatchStream } from './watchStream.js';

/** One dispatch of the journal, as `palyrad dispatches list|get --json` prints it. Times are ISO-8601. */
export interface DispatchView {
  dispatchId: string;
  deviceId: string;
  capability: string;
  caller: string;
  idempotencyKey: string | null;
  /** SHA-256 (hex) of the capability and the input JSON, kept with an idempotency key; '' without one. */
  inputHash: string;
  state: DispatchState;
  createdAt: string;
  deadlineAt: string;
  sentAt: string | null;
  finishedAt: string | null;
  /** Once finished; its output is null when `resultTruncated`. */
  result: InvocationResult | null;
  /** The journal kept the result without its output, which was larger than it keeps (64 KiB). */
  resultTruncated: boolean;
}

export function toDispatchView(info: DispatchInfo__Output): DispatchView {
  const converted = info.result ? toInvocationEvent({ body: 'result', result: info.result }) : undefined;
  return {
    dispatchId: info.dispatchId,
    deviceId: info.deviceId,
    capability: info.capability,
    caller: info.caller,
    idempotencyKey: info.idempotencyKey === '' ? null : info.idempotencyKey,
    inputHash: info.inputHash,
    state: info.state as DispatchState,
    createdAt: info.createdAt,
    deadlineAt: info.deadlineAt,
    sentAt: info.sentAt === '' ? null : info.sentAt,
    finishedAt: info.finishedAt === '' ? null : info.finishedAt,
    result: converted?.type === 'result' ? converted.result : null,
    resultTruncated: info.resultTruncated,
  };
}

/**
 * Reads an AdminService.WatchDispatch stream: the dispatch's events, ending with its result.
 * Aborting `signal` (or leaving the loop) stops watching and leaves the dispatch running; a
 * stream that ends before the result is PALYRA_E_DAEMON_UNREACHABLE (readWatchStream).
 */
export async function* readDispatchWatch(
  call: grpc.ClientReadableStream<InvokeEvent__Output>,
  signal?: AbortSignal,
): AsyncGenerator<InvocationEvent, void, undefined> {
  for await (const event of readWatchStream(call, toInvocationEvent, 'the dispatch watch before its result', signal)) {
    yield event;
    if (event.type === 'result') return;
  }
}
