import type * as grpc from '@grpc/grpc-js';
import { toServiceError, type InvokeEvent, type InvokeRequest__Output } from '@palyra/proto';
import type { DispatchCoordinator } from '../dispatch/index.js';
import { startInvocation, type StartedInvocation } from './startInvocation.js';

/**
 * AdminService.Invoke: starts a dispatch and streams its events until the result. A caller
 * that goes away (Ctrl-C in `palyrad nodes invoke`) cancels the dispatch on the node.
 */
export function createInvokeHandler(dispatcher: DispatchCoordinator): grpc.handleServerStreamingCall<InvokeRequest__Output, InvokeEvent> {
  return (call) => {
    const started: StartedInvocation = startInvocation(dispatcher, call.request, {
      write: (event) => call.write(event),
      end: () => call.end(),
      fail: (error) => call.emit('error', toServiceError(error)),
      get closed() {
        return call.cancelled || call.writableEnded || call.destroyed;
      },
    });
    call.on('cancelled', () => started.abandon());
  };
}
