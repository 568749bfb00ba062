import type * as grpc from '@grpc/grpc-js';
import { loadPalyraProto, toServiceError, type AdminServiceHandlers } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { Actor } from './Actor.js';
import { bindActor } from './callActor.js';
import { ADMIN_RPC_PERMISSIONS, type AdminMethod } from './permissions.js';

/** Who is calling: resolves the call's actor, or rejects (PALYRA_E_UNAUTHENTICATED, PALYRA_E_RATE_LIMITED). */
export type Authenticate = (call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>) => Promise<Actor>;

/**
 * Puts every AdminService handler behind authentication and the permission table: the caller
 * is resolved first, then the permission its RPC needs (ADMIN_RPC_PERMISSIONS) is checked, and
 * only then does the handler run, with the actor bound to the call (actorOf). A method missing
 * from the table never runs.
 */
export function gateAdminHandlers(handlers: AdminServiceHandlers, authenticate: Authenticate): AdminServiceHandlers {
  const definition = loadPalyraProto().AdminService.service as unknown as Record<string, { requestStream: boolean; responseStream: boolean }>;
  const gated: Record<string, unknown> = {};
  for (const [name, handler] of Object.entries(handlers) as [AdminMethod, (...args: unknown[]) => void][]) {
    const method = definition[name];
    if (method === undefined) continue;
    const admit = async (call: Parameters<Authenticate>[0]): Promise<void> => {
      const actor = await authenticate(call);
      const needed = ADMIN_RPC_PERMISSIONS[name] as (typeof ADMIN_RPC_PERMISSIONS)[AdminMethod] | undefined;
      if (needed === undefined) throw new PalyraError('PALYRA_E_INTERNAL', `AdminService.${name} has no entry in the permission table`);
      if (needed !== null && !actor.permissions.has(needed)) {
        throw new PalyraError('PALYRA_E_FORBIDDEN', `${describe(actor)} may not call ${name}: it needs the permission ${needed}`, { details: { permission: needed, method: name } });
      }
      bindActor(call, actor);
    };
    if (!method.requestStream && !method.responseStream) {
      gated[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        admit(call).then(
          () => handler(call, callback),
          (error: unknown) => callback(toServiceError(error)),
        );
      };
    } else if (method.requestStream && !method.responseStream) {
      gated[name] = (call: grpc.ServerReadableStream<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        admit(call).then(
          () => handler(call, callback),
          (error: unknown) => callback(toServiceError(error)),
        );
      };
    } else {
      gated[name] = (call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>) => {
        admit(call).then(
          () => handler(call),
          (error: unknown) => call.emit('error', toServiceError(error)),
        );
      };
    }
  }
  return gated as unknown as AdminServiceHandlers;
}

function describe(actor: Actor): string {
  return actor.kind === 'local' ? 'the local owner' : `token ${actor.tokenId} (${actor.tokenName}, role ${actor.role})`;
}
