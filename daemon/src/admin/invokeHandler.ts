import type * as grpc from '@grpc/grpc-js';
import { toServiceError, type InvokeEvent, type InvokeRequest__Output } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { DispatchCoordinator, DispatchEvent } from '../dispatch/index.js';

export const DEFAULT_INVOKE_TIMEOUT_MS = 30_000;
const MAX_INPUT_JSON_BYTES = 1024 * 1024;

/**
 * AdminService.Invoke: starts a dispatch and streams its events until the result. A caller
 * that goes away (Ctrl-C in `palyrad nodes invoke`) cancels the dispatch on the node.
 */
export function createInvokeHandler(dispatcher: DispatchCoordinator): grpc.handleServerStreamingCall<InvokeRequest__Output, InvokeEvent> {
  return (call) => {
    let unsubscribe: (() => void) | undefined;
    try {
      const request = call.request;
      const { dispatch, deduplicated } = dispatcher.submit({
        deviceId: request.deviceId,
        capability: request.capability,
        input: parseInput(request.inputJson),
        timeoutMs: request.timeoutMs > 0 ? request.timeoutMs : DEFAULT_INVOKE_TIMEOUT_MS,
        idempotencyKey: request.idempotencyKey || undefined,
      });
      call.write({ accepted: { dispatchId: dispatch.id, deduplicated } });
      // The dispatch may have moved before this caller subscribed: report where it stands.
      if (!dispatch.finished) call.write({ state: { state: dispatch.state } });
      call.on('cancelled', () => {
        unsubscribe?.();
        // A deduplicated caller only watched someone else's dispatch; leave it running.
        if (!deduplicated && !dispatch.finished) dispatcher.cancel(dispatch.id, 'the caller went away');
      });
      unsubscribe = dispatch.subscribe((event: DispatchEvent) => {
        if (call.cancelled || call.writableEnded) return;
        switch (event.type) {
          case 'state':
            call.write({ state: { state: event.state } });
            break;
          case 'output':
            call.write({ output: { chunk: event.chunk } });
            break;
          case 'progress':
            call.write({ progress: { ratio: event.ratio, message: event.message } });
            break;
          case 'result': {
            const { result } = event;
            call.write({
              result: {
                dispatchId: result.dispatchId,
                status: result.status,
                outputJson: result.output === null ? '' : JSON.stringify(result.output),
                error:
                  result.error === null
                    ? null
                    : {
                        code: result.error.code,
                        message: result.error.message,
                        // The plugin and capability at fault (and the plugin's own details) travel on.
                        detailsJson: result.error.details === undefined ? '' : JSON.stringify(result.error.details),
                      },
                durationMs: result.durationMs,
              },
            });
            call.end();
            break;
          }
        }
      });
    } catch (error) {
      unsubscribe?.();
      call.emit('error', toServiceError(error));
    }
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
