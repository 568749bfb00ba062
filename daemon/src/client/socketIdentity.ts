import type * as grpc from '@grpc/grpc-js';
import { FORWARDED_ADDRESS_HEADER } from '../access/forwardedAddress.js';

/**
 * Who a client of the admin socket calls as when it is not the local owner: an API token, for a
 * remote client of the daemon's HTTP API whose `address:port` goes into the audit log. The
 * daemon then grants exactly the token's rights (never the owner's).
 */
export interface SocketIdentity {
  /** `pyt_...`, sent as `authorization: Bearer` on every call. */
  token: string;
  /** The HTTP client's `address:port`. */
  remoteAddress?: string;
}

export function socketIdentityHeaders(identity: SocketIdentity): Record<string, string> {
  return {
    authorization: `Bearer ${identity.token}`,
    ...(identity.remoteAddress === undefined ? {} : { [FORWARDED_ADDRESS_HEADER]: identity.remoteAddress }),
  };
}

/** A grpc-js interceptor adding `headers` to every call's metadata. */
export function headersInterceptor(grpcModule: typeof grpc, headers: Readonly<Record<string, string>>): grpc.Interceptor {
  return (options, nextCall) =>
    new grpcModule.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
        next(metadata, listener);
      },
    });
}
