import type * as grpc from '@grpc/grpc-js';
import { fromServiceError } from '@palyra/proto/client';
import { PalyraError } from '@palyra/shared/errors';

/**
 * Reads a server stream that never ends by itself (a watch): aborting `signal` (or leaving
 * the loop) ends the iteration quietly; a daemon that goes away ends it with
 * PALYRA_E_DAEMON_UNREACHABLE naming `what`. Messages `convert` cannot read are skipped.
 */
export async function* readWatchStream<Message, Event>(
  call: grpc.ClientReadableStream<Message>,
  convert: (message: Message) => Event | undefined,
  what: string,
  signal?: AbortSignal,
): AsyncGenerator<Event, void, undefined> {
  const onAbort = (): void => call.cancel();
  // A function, not a narrowed expression: the signal may abort while the loop waits.
  const aborted = (): boolean => signal?.aborted === true;
  if (aborted()) {
    call.cancel();
    return;
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const message of call as AsyncIterable<Message>) {
      const event = convert(message);
      if (event !== undefined) yield event;
    }
    if (aborted()) return;
    throw new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', `the daemon ended ${what}`);
  } catch (error) {
    if (aborted()) return;
    throw fromServiceError(error);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    call.cancel();
  }
}
