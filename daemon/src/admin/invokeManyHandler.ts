import type * as grpc from '@grpc/grpc-js';
import type { InvokeManyEvent, InvokeManyRequest__Output } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { DispatchCoordinator } from '../dispatch/index.js';
import { toErrorInfo } from './errorInfo.js';
import type { InvokeAccess } from './invokeHandler.js';
import { startInvocation, type StartedInvocation } from './startInvocation.js';
import { invocationAudit } from './invokeHandler.js';
import type { AuditSink } from '../audit/types.js';

/**
 * Calls one InvokeMany stream may have running at once. Each is also bounded by the node's
 * dispatch queue; this keeps one client from holding unbounded daemon state on one stream.
 */
export const MAX_CALLS_PER_INVOKE_STREAM = 4096;

/**
 * AdminService.InvokeMany: many invocations over one bidi stream, each tagged with the
 * caller's call id. Semantics per call are Invoke's: a refusal ends only that call (sent as
 * `refused`), a cancel message or the stream going away cancels the call's dispatch. The
 * stream ends once the caller has half-closed it and its last call has ended.
 */
export function createInvokeManyHandler(
  dispatcher: DispatchCoordinator,
  access?: InvokeAccess,
  audit?: AuditSink,
): grpc.handleBidiStreamingCall<InvokeManyRequest__Output, InvokeManyEvent> {
  return (call) => {
    const caller = access?.caller(call);
    const audited = invocationAudit(audit, call);
    const calls = new Map<number, StartedInvocation>();
    let callerDone = false;
    const closed = (): boolean => call.cancelled || call.writableEnded;
    const endIfDone = (): void => {
      if (callerDone && calls.size === 0 && !closed()) call.end();
    };
    const refuse = (callId: number, error: unknown): void => {
      if (closed()) return;
      call.write({ callId, refused: toErrorInfo(PalyraError.from(error)) });
    };

    call.on('data', (message: InvokeManyRequest__Output) => {
      // Once the call is ended (its token revoked or expired, the daemon stopping), its status
      // may wait behind answers the caller does not read (flow control) while requests still
      // arrive: none of them may start anything.
      if (closed()) return;
      const { callId } = message;
      if (message.body === 'cancel') {
        calls.get(callId)?.abandon();
        calls.delete(callId);
        endIfDone();
        return;
      }
      if (message.body !== 'invoke' || !message.invoke) {
        refuse(callId, new PalyraError('PALYRA_E_INPUT_INVALID', 'an InvokeMany message carries neither invoke nor cancel'));
        return;
      }
      if (calls.has(callId)) {
        refuse(callId, new PalyraError('PALYRA_E_INPUT_INVALID', `call id ${callId} is already in use on this stream`));
        return;
      }
      if (calls.size >= MAX_CALLS_PER_INVOKE_STREAM) {
        refuse(callId, new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `one InvokeMany stream may run at most ${MAX_CALLS_PER_INVOKE_STREAM} calls at once`));
        return;
      }
      // Each request counts against the token's rate, and is checked against its scopes.
      let request = message.invoke;
      try {
        access?.charge(call);
        request = access?.authorize(call, message.invoke) ?? message.invoke;
      } catch (error) {
        refuse(callId, error);
        return;
      }
      const started = startInvocation(
        dispatcher,
        request,
        {
          write: (event) => call.write({ callId, event }),
          end: () => {
            calls.delete(callId);
            endIfDone();
          },
          // A refusal, or the daemon stopping: ends only this call.
          fail: (error) => {
            refuse(callId, error);
            calls.delete(callId);
            endIfDone();
          },
          get closed() {
            return closed();
          },
        },
        { resultOnly: message.resultOnly, ...(caller === undefined ? {} : { caller }), ...audited },
      );
      // Events, the result included, are relayed once the dispatch is journaled and its input
      // checked, never inside startInvocation: the call is registered first.
      calls.set(callId, started);
    });
    call.on('end', () => {
      callerDone = true;
      endIfDone();
    });
    call.on('cancelled', () => {
      for (const started of calls.values()) started.abandon();
      calls.clear();
    });
    // A transport error is followed by 'cancelled'; without a listener it would be thrown.
    call.on('error', () => undefined);
  };
}
