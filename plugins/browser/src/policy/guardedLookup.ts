import type { LookupAddress, LookupOptions } from 'node:dns';
import type { IpAddress } from './ipAddress.js';
import type { HostLookup } from './resolveHost.js';
import type { Verdict } from './UrlPolicy.js';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The error a guarded lookup fails with when the policy refuses what a name resolves to. */
export class DeniedAddressError extends Error {
  readonly code = 'EPALYRADENIED';
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DeniedAddressError';
  }
}

/**
 * A `lookup` for net.connect and http.request that resolves the name, checks every address it
 * got, and hands the connection only those addresses: the address checked is the address
 * connected to, whatever the DNS answers next time.
 */
export function guardedLookup(resolve: HostLookup, check: (host: string, addresses: IpAddress[]) => Verdict) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (addresses) => {
        const verdict = check(hostname, addresses);
        if (!verdict.allowed) return callback(new DeniedAddressError(verdict.reason), '');
        const usable = addresses.filter((a) => options.family !== 4 && options.family !== 6 ? true : a.family === `ipv${options.family}`);
        const first = usable[0];
        if (first === undefined) {
          const error: NodeJS.ErrnoException = new Error(`${hostname} has no usable address`);
          error.code = 'ENOTFOUND';
          return callback(error, '');
        }
        if (options.all === true) return callback(null, usable.map((a) => ({ address: a.address, family: a.family === 'ipv4' ? 4 : 6 })));
        return callback(null, first.address, first.family === 'ipv4' ? 4 : 6);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, ''),
    );
  };
}
