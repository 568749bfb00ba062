import type * as grpc from '@grpc/grpc-js';
import type { DaemonEventMessage__Output } from '@palyra/proto';
import type { DaemonEvent } from '@palyra/shared/quic';
import { readWatchStream } from './watchStream.js';

/**
 * Turns an AdminService.StreamEvents stream into events. Never ends by itself: aborting
 * `signal` (or leaving the loop) ends the iteration quietly; a daemon that goes away ends it
 * with PALYRA_E_DAEMON_UNREACHABLE. An event that is not JSON is skipped.
 */
export function readEvents(
  call: grpc.ClientReadableStream<DaemonEventMessage__Output>,
  signal?: AbortSignal,
): AsyncGenerator<DaemonEvent, void, undefined> {
  return readWatchStream(call, parseDaemonEvent, 'the event stream', signal);
}

/** The event a DaemonEventMessage carries; undefined when absent or not JSON. */
export function parseDaemonEvent(message: DaemonEventMessage__Output | null | undefined): DaemonEvent | undefined {
  if (message == null) return undefined;
  try {
    return JSON.parse(message.eventJson) as DaemonEvent;
  } catch {
    return undefined;
  }
}
