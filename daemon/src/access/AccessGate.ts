import { Metadata, type ServerDuplexStream, type ServerReadableStream, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { loadPalyraProto, toServiceError, type AdminServiceHandlers } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { Actor } from './Actor.js';
import { bindActor } from './callActor.js';
import { ADMIN_RPC_PERMISSIONS, type AdminMethod } from './permissions.js';

type AnyCall = ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown> | ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>;

/**
 * Who is calling: resolves the call's actor, or rejects (PALYRA_E_UNAUTHENTICATED,
 * PALYRA_E_RATE_LIMITED). `method` is the RPC (InvokeMany is charged per request, not at open).
 */
export type Authenticate = (call: AnyCall, method: AdminMethod) => Promise<Actor>;

export interface GateOptions {
  /** Told of every PALYRA_E_FORBIDDEN refusal of the permission check (the audit log's auth.denied). */
  onForbidden?: (actor: Actor, method: AdminMethod, error: PalyraError) => void;
  /**
   * Counts a streaming call of `actor` once it is admitted: throws to refuse it (too many open),
   * or returns what the gate calls when the stream ends.
   */
  openStream?: (actor: Actor) => () => void;
}

/**
 * Puts every AdminService handler behind authentication and the permission table: the caller
 * is resolved first, then the permission its RPC needs (ADMIN_RPC_PERMISSIONS) is checked, and
 * only then does the handler run, with the actor bound to the call (actorOf). A method missing
 * from the table never runs. A streaming call of a token ends (PALYRA_E_UNAUTHENTICATED) when
 * the token's signal aborts: revocation or expiry closes every open stream, whatever handler
 * serves it.
 */
export function gateAdminHandlers(handlers: AdminServiceHandlers, authenticate: Authenticate, options: GateOptions = {}): AdminServiceHandlers {
  const definition = loadPalyraProto().AdminService.service as unknown as Record<string, { requestStream: boolean; responseStream: boolean }>;
  const gated: Record<string, unknown> = {};
  for (const [name, handler] of Object.entries(handlers) as [AdminMethod, (...args: unknown[]) => void][]) {
    const method = definition[name];
    if (method === undefined) continue;
    const admit = async (call: AnyCall): Promise<Actor> => {
      const actor = await authenticate(call, name);
      const needed = ADMIN_RPC_PERMISSIONS[name] as (typeof ADMIN_RPC_PERMISSIONS)[AdminMethod] | undefined;
      if (needed === undefined) throw new PalyraError('PALYRA_E_INTERNAL', `AdminService.${name} has no entry in the permission table`);
      if (needed !== null && !actor.permissions.has(needed)) {
        const error = new PalyraError('PALYRA_E_FORBIDDEN', `${describe(actor)} may not call ${name}: it needs the permission ${needed}`, { details: { permission: needed, method: name } });
        options.onForbidden?.(actor, name, error);
        throw error;
      }
      bindActor(call, actor);
      return actor;
    };
    if (!method.requestStream && !method.responseStream) {
      gated[name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        admit(call).then(
          () => handler(call, callback),
          (error: unknown) => callback(toServiceError(error)),
        );
      };
    } else if (method.requestStream && !method.responseStream) {
      gated[name] = (call: ServerReadableStream<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        admit(call).then(
          () => handler(call, callback),
          (error: unknown) => callback(toServiceError(error)),
        );
      };
    } else {
      gated[name] = (call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>) => {
        admit(call).then(
          (actor) => {
            if (call.cancelled || call.writableEnded) return;
            if (options.openStream !== undefined) {
              let release: () => void;
              try {
                release = options.openStream(actor);
              } catch (error) {
                call.emit('error', toServiceError(error));
                return;
              }
              onEnd(call, release);
            }
            if (actor.kind === 'token') endOnAbort(call, actor.signal);
            if (call.cancelled || call.writableEnded) return;
            // Headers at once: the caller learns its stream was admitted (an events stream may
            // carry nothing for a long time), not only when the first message comes.
            call.sendMetadata(new Metadata());
            handler(call);
          },
          (error: unknown) => call.emit('error', toServiceError(error)),
        );
      };
    }
  }
  return gated as unknown as AdminServiceHandlers;
}

/** Calls `done` once when the call is over, however it ends (finished, cancelled, ended with an error status). */
function onEnd(call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>, done: () => void): void {
  const events = ['close', 'finish', 'cancelled', 'error'] as const;
  const once = (): void => {
    for (const event of events) call.off(event, once);
    done();
  };
  for (const event of events) call.on(event, once);
}

/**
 * Ends a server-streaming or bidi call with the signal's reason once it aborts (the token was
 * revoked or expired). The listener goes with the call, so long-lived tokens do not gather one
 * per stream they ever opened.
 */
function endOnAbort(call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>, signal: AbortSignal): void {
  const end = (): void => {
    detach();
    if (call.cancelled || call.writableEnded || call.destroyed) return;
    const reason: unknown = signal.reason;
    call.emit('error', toServiceError(reason instanceof PalyraError ? reason : new PalyraError('PALYRA_E_UNAUTHENTICATED', 'the API token is no longer valid')));
    // The handler's own cleanup (subscriptions, dispatch relays) runs on 'cancelled'.
    call.emit('cancelled');
  };
  const detach = (): void => {
    signal.removeEventListener('abort', end);
    call.off('close', detach);
    call.off('finish', detach);
    call.off('cancelled', detach);
    call.off('error', detach);
  };
  if (signal.aborted) {
    end();
    return;
  }
  signal.addEventListener('abort', end, { once: true });
  call.once('close', detach);
  call.once('finish', detach);
  call.once('cancelled', detach);
  // A handler ends its call with a status by emitting 'error' (grpc-js): the call is over then too.
  call.once('error', detach);
}

function describe(actor: Actor): string {
  return actor.kind === 'local' ? 'the local owner' : `token ${actor.tokenId} (${actor.tokenName}, role ${actor.role})`;
}
