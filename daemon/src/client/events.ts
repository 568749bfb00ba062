import type * as grpc from '@grpc/grpc-js';
import { fromServiceError, type DaemonEventMessage__Output } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { DaemonEvent } from '@palyra/shared/quic';

/**
 * Turns an AdminService.StreamEvents stream into events. Never ends by itself: aborting
 * `signal` (or leaving the loop) ends the iteration quietly; a daemon that goes away ends it
 * with PALYRA_E_DAEMON_UNREACHABLE.
 */
export async function* readEvents(
  call: grpc.ClientReadableStream<DaemonEventMessage__Output>,
  signal?: AbortSignal,
): AsyncGenerator<DaemonEvent, void, undefined> {
  const onAbort = (): void => call.cancel();
  const aborted = (): boolean => signal?.aborted === true;
  if (aborted()) {
    call.cancel();
    return;
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const message of call as AsyncIterable<DaemonEventMessage__Output>) {
      try {
        yield JSON.parse(message.eventJson) as DaemonEvent;
      } catch (error) {
        if (error instanceof SyntaxError) continue;
        throw error;
      }
    }
    if (aborted()) return;
    throw new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', 'the daemon ended the event stream');
  } catch (error) {
    if (aborted()) return;
    throw fromServiceError(error);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    call.cancel();
  }
}
