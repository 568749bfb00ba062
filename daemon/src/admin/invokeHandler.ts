import type * as grpc from '@grpc/grpc-js';
import { toServiceError, type InvokeEvent, type InvokeRequest__Output } from '@palyra/proto';
import type { DispatchCoordinator } from '../dispatch/index.js';
import { startInvocation, type StartedInvocation } from './startInvocation.js';
import { actorOf } from '../access/callActor.js';
import { auditActorOf } from '../audit/auditActor.js';
import type { AuditSink } from '../audit/types.js';
import type { InvocationAudit } from './dispatchAudit.js';

/**
 * AdminService.Invoke: starts a dispatch and streams its events until the result. A caller
 * that goes away (Ctrl-C in `palyrad nodes invoke`) cancels the dispatch on the node.
 */
export function createInvokeHandler(dispatcher: DispatchCoordinator, audit?: AuditSink): grpc.handleServerStreamingCall<InvokeRequest__Output, InvokeEvent> {
  return (call) => {
    const started: StartedInvocation = startInvocation(dispatcher, call.request, {
      write: (event) => call.write(event),
      end: () => call.end(),
      fail: (error) => call.emit('error', toServiceError(error)),
      get closed() {
        return call.cancelled || call.writableEnded || call.destroyed;
      },
    }, { ...invocationAudit(audit, call) });
    call.on('cancelled', () => started.abandon());
  };
}

/** The audit context of an admin call's invocations (none without a sink). */
export function invocationAudit(audit: AuditSink | undefined, call: object): { audit?: InvocationAudit } {
  if (audit === undefined) return {};
  const actor = actorOf(call);
  return { audit: { sink: audit, actor: auditActorOf(actor), remoteAddress: actor.remoteAddress } };
}
