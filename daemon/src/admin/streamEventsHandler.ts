import type * as grpc from '@grpc/grpc-js';
import { toServiceError, type DaemonEventMessage, type StreamEventsRequest__Output } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { Logger } from '@palyra/shared/logging';
import { parseStreamEventsParams, type DaemonEvent } from '@palyra/shared/quic';
import type { DaemonEvents } from '../events/DaemonEvents.js';
import { logFailure } from '../logging/logFailure.js';

/** Events an operator stream may fall behind by before it is ended (RESOURCE_EXHAUSTED). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * AdminService.StreamEvents: an operator follows the daemon's events, filtered by type, until
 * it cancels. Operators see every node's events (the admin socket is theirs alone).
 *
 * Each way the daemon ends a stream is logged with its code: a bad request (info: the
 * operator sees the error too) and a subscriber too slow to keep up (warn,
 * PALYRA_E_LIMIT_EXCEEDED, RESOURCE_EXHAUSTED to the client). A listener that throws (a
 * write on a broken call) is logged and dropped by DaemonEvents.
 */
export function createStreamEventsHandler(
  events: DaemonEvents,
  logger?: Logger,
  /** Which events the call's caller may see (a token limited to some nodes); absent: all. */
  visibleTo?: (call: object) => ((event: DaemonEvent) => boolean) | undefined,
): grpc.handleServerStreamingCall<StreamEventsRequest__Output, DaemonEventMessage> {
  return (call) => {
    let unsubscribe: (() => void) | undefined;
    try {
      const visible = visibleTo?.(call);
      const { types } = parseStreamEventsParams(call.request.types.length === 0 ? {} : { types: call.request.types });
      unsubscribe = events.subscribe(types === undefined ? {} : { types: new Set(types) }, (event) => {
        if (call.cancelled || call.writableEnded) return;
        if (visible !== undefined && !visible(event)) return;
        if (call.writableLength > MAX_BUFFERED_BYTES) {
          unsubscribe?.();
          const error = new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `the event subscriber fell more than ${MAX_BUFFERED_BYTES} bytes behind; stream ended`);
          logFailure(logger, 'warn', 'admin event stream ended', error, { bufferedBytes: call.writableLength });
          call.emit('error', toServiceError(error));
          return;
        }
        call.write({ type: event.type, eventJson: JSON.stringify(event) });
      });
      const stop = (): void => unsubscribe?.();
      call.on('cancelled', stop);
      call.on('close', stop);
      // grpc-js: 'error' is how a handler ends its own call with a status (as above), so it is
      // logged where it is emitted, not here.
      call.on('error', stop);
    } catch (error) {
      unsubscribe?.();
      logFailure(logger, 'info', 'admin event stream refused', error);
      call.emit('error', toServiceError(error));
    }
  };
}
