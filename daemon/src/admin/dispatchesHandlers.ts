import type * as grpc from '@grpc/grpc-js';
import { toServiceError, type DispatchInfo, type GetDispatchRequest__Output, type InvokeEvent } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { DispatchCoordinator, DispatchSummary } from '../dispatch/index.js';
import { relayDispatch, toInvokeResult } from './startInvocation.js';

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 10_000;

/** A dispatch as AdminService shows it (ListDispatches, GetDispatch). */
export function toDispatchInfo(summary: DispatchSummary): DispatchInfo {
  const iso = (ms: number | null): string => (ms === null ? '' : new Date(ms).toISOString());
  const result = summary.result;
  return {
    dispatchId: summary.id,
    deviceId: summary.deviceId,
    capability: summary.capability,
    caller: summary.caller,
    idempotencyKey: summary.idempotencyKey ?? '',
    inputHash: summary.inputHash,
    state: summary.state,
    createdAt: iso(summary.createdAt),
    deadlineAt: iso(summary.deadlineAt),
    sentAt: iso(summary.sentAt),
    finishedAt: iso(summary.finishedAt),
    result:
      result === null
        ? null
        : toInvokeResult({ dispatchId: summary.id, status: result.status, output: result.output, error: result.error, durationMs: result.durationMs }),
    resultTruncated: result?.truncated === true,
  };
}

export function listLimit(requested: number): number {
  if (requested === 0) return DEFAULT_LIST_LIMIT;
  if (requested > MAX_LIST_LIMIT) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `--limit must be at most ${MAX_LIST_LIMIT}`);
  return requested;
}

/**
 * AdminService.WatchDispatch: re-attaches to a dispatch by id. A live one streams its events
 * until the result; a finished one (in memory or only in the journal) sends its result at once.
 * The watcher never owns the dispatch: going away leaves it running.
 */
export function createWatchDispatchHandler(dispatcher: DispatchCoordinator): grpc.handleServerStreamingCall<GetDispatchRequest__Output, InvokeEvent> {
  return (call) => {
    let relay: { abandon(): void } | undefined;
    let gone = false;
    call.on('cancelled', () => {
      gone = true;
      relay?.abandon();
    });
    dispatcher.watchable(call.request.dispatchId).then(
      (dispatch) => {
        if (gone) return;
        relay = relayDispatch(dispatcher, dispatch, {
          write: (event) => call.write(event),
          end: () => call.end(),
          fail: (error) => call.emit('error', toServiceError(error)),
          get closed() {
            return call.cancelled || call.writableEnded || call.destroyed;
          },
        }, { deduplicated: true });
      },
      (error: unknown) => {
        if (!gone) call.emit('error', toServiceError(error));
      },
    );
  };
}
