import type * as grpc from '@grpc/grpc-js';
import { toServiceError, type DaemonEventMessage, type StreamEventsRequest__Output } from '@palyra/proto';
import { parseStreamEventsParams } from '@palyra/shared/quic';
import type { DaemonEvents } from '../events/DaemonEvents.js';

/** Events an operator stream may fall behind by before it is ended (RESOURCE_EXHAUSTED). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * AdminService.StreamEvents: an operator follows the daemon's events, filtered by type, until
 * it cancels. Operators see every node's events (the admin socket is theirs alone).
 */
export function createStreamEventsHandler(events: DaemonEvents): grpc.handleServerStreamingCall<StreamEventsRequest__Output, DaemonEventMessage> {
  return (call) => {
    let unsubscribe: (() => void) | undefined;
    try {
      const { types } = parseStreamEventsParams(call.request.types.length === 0 ? {} : { types: call.request.types });
      unsubscribe = events.subscribe(types === undefined ? {} : { types: new Set(types) }, (event) => {
        if (call.cancelled || call.writableEnded) return;
        if (call.writableLength > MAX_BUFFERED_BYTES) {
          unsubscribe?.();
          call.destroy(new Error('the event subscriber fell too far behind'));
          return;
        }
        call.write({ type: event.type, eventJson: JSON.stringify(event) });
      });
      const stop = (): void => unsubscribe?.();
      call.on('cancelled', stop);
      call.on('close', stop);
      call.on('error', stop);
    } catch (error) {
      unsubscribe?.();
      call.emit('error', toServiceError(error));
    }
  };
}
