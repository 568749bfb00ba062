/**
 * The header the daemon's own HTTP layer sets on the calls it makes on the admin socket for a
 * remote HTTP client: the client's `address:port`, for the audit log and the failed-auth
 * throttle. Trusted only on the socket (only the daemon's own user reaches it); the remote
 * gRPC endpoint ignores it.
 */
export const FORWARDED_ADDRESS_HEADER = 'x-palyra-remote-address';

/** An IPv4, IPv6 (bracketed or not) or name, with a port: nothing that could forge an audit line. */
const ADDRESS = /^[A-Za-z0-9.:[\]%_-]{1,128}$/;

/** The forwarded address if it is well formed, else `fallback`. */
export function forwardedAddress(value: unknown, fallback: string): string {
  return typeof value === 'string' && ADDRESS.test(value) ? value : fallback;
}
