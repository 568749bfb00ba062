import type * as grpc from '@grpc/grpc-js';
import { toServiceError, type InvokeEvent, type InvokeRequest__Output } from '@palyra/proto';
import type { DispatchCoordinator } from '../dispatch/index.js';
import { startInvocation, type StartedInvocation } from './startInvocation.js';
import { actorOf } from '../access/callActor.js';
import { auditActorOf } from '../access/auditDenied.js';
import type { AuditSink } from '../audit/types.js';
import type { InvocationAudit } from './dispatchAudit.js';

/**
 * What the caller may dispatch: `authorize` throws (PALYRA_E_FORBIDDEN) for a capability or
 * node its token does not cover; `caller` names it in the journal. Absent: the local owner.
 */
export interface InvokeAccess {
  /** Resolves the request's node reference (device id, unique prefix or name) and checks it: the request to start. */
  authorize(call: object, request: InvokeRequest__Output): InvokeRequest__Output;
  /** Spends one call of the caller's rate (InvokeMany: per request). */
  charge(call: object): void;
  caller(call: object): string;
}

/**
 * AdminService.Invoke: starts a dispatch and streams its events until the result. A caller
 * that goes away (Ctrl-C in `palyrad nodes invoke`) cancels the dispatch on the node.
 */
export function createInvokeHandler(dispatcher: DispatchCoordinator, access?: InvokeAccess, audit?: AuditSink): grpc.handleServerStreamingCall<InvokeRequest__Output, InvokeEvent> {
  return (call) => {
    let request: InvokeRequest__Output;
    try {
      request = access?.authorize(call, call.request) ?? call.request;
    } catch (error) {
      call.emit('error', toServiceError(error));
      return;
    }
    const started: StartedInvocation = startInvocation(dispatcher, request, {
      write: (event) => call.write(event),
      end: () => call.end(),
      fail: (error) => call.emit('error', toServiceError(error)),
      get closed() {
        return call.cancelled || call.writableEnded || call.destroyed;
      },
    }, { ...(access === undefined ? {} : { caller: access.caller(call) }), ...invocationAudit(audit, call) });
    call.on('cancelled', () => started.abandon());
  };
}

/** The audit context of an admin call's invocations (none without a sink). */
export function invocationAudit(audit: AuditSink | undefined, call: object): { audit?: InvocationAudit } {
  if (audit === undefined) return {};
  const actor = actorOf(call);
  return { audit: { sink: audit, actor: auditActorOf(actor), remoteAddress: actor.remoteAddress } };
}
