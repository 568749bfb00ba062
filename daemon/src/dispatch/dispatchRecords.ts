import type { DispatchRecord } from '../store/types.js';
import { Dispatch } from './Dispatch.js';
import { DISPATCH_STATUSES, type DispatchStatus, type DispatchSummary } from './types.js';

/**
 * Conversions between the journal's rows, live Dispatch objects and the summaries callers see
 * (`palyrad dispatches get/list`): a dispatch reads the same whether the daemon still holds it
 * or only the journal does.
 */

export function summaryOfDispatch(dispatch: Dispatch): DispatchSummary {
  return {
    id: dispatch.id,
    deviceId: dispatch.deviceId,
    capability: dispatch.capability,
    caller: dispatch.caller,
    idempotencyKey: dispatch.idempotencyKey ?? null,
    inputHash: dispatch.inputHash,
    state: dispatch.state,
    createdAt: dispatch.createdAt,
    deadlineAt: dispatch.deadline.getTime(),
    sentAt: dispatch.sentAt ?? null,
    finishedAt: dispatch.finishedAt ?? null,
    result: dispatch.result ?? null,
  };
}

/** A journal row as a Dispatch object, in state queued (callers move it on): after a restart, or to answer a key. */
export function dispatchOfRecord(record: DispatchRecord): Dispatch {
  const dispatch = new Dispatch(record.id, record.deviceId, record.capability, record.inputJson ?? 'null', new Date(record.deadlineAt), record.idempotencyKey ?? undefined, record.createdAt);
  dispatch.caller = record.caller;
  dispatch.inputHash = record.inputHash;
  dispatch.sentAt = record.sentAt ?? undefined;
  return dispatch;
}

export function summaryOfRecord(record: DispatchRecord): DispatchSummary {
  let result: DispatchSummary['result'] = null;
  if (record.resultJson !== null) {
    try {
      const parsed = JSON.parse(record.resultJson) as NonNullable<DispatchSummary['result']>;
      result = { ...parsed, dispatchId: record.id, status: record.state as DispatchStatus };
    } catch {
      result = { dispatchId: record.id, status: record.state as DispatchStatus, output: null, error: null, durationMs: 0, truncated: true };
    }
  }
  // The row without its input and raw result (the input is gone once finished anyway).
  const { inputJson: _inputJson, resultJson: _resultJson, ...row } = record;
  return {
    ...row,
    state: DISPATCH_STATUSES.includes(record.state as DispatchStatus) || ['queued', 'sent', 'running'].includes(record.state) ? record.state : 'unknown',
    result,
  };
}

/** A finished Dispatch carrying what the journal recorded (for keys and watchers after a restart). */
export function restoreFinished(record: DispatchRecord): Dispatch {
  const dispatch = dispatchOfRecord(record);
  const summary = summaryOfRecord(record);
  const result = summary.result;
  if (result !== null) {
    dispatch.restoreResult(
      { dispatchId: record.id, status: result.status, output: result.output, error: result.error, durationMs: result.durationMs },
      record.finishedAt ?? Date.now(),
    );
  }
  return dispatch;
}
