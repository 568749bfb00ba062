import { lookup } from 'node:dns/promises';
import { parseIp, type IpAddress } from './ipAddress.js';
import { ALLOWED, type UrlPolicy, type Verdict } from './UrlPolicy.js';

/** Resolves a host name to every address it has (the OS resolver, like the browser's). */
export type HostLookup = (host: string) => Promise<IpAddress[]>;

export const systemLookup: HostLookup = async (host) => {
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.flatMap((answer) => parseIp(answer.address) ?? []);
};

/**
 * Checks the addresses a host name resolves to against the IP entries of `denyHosts`. A name
 * that does not resolve passes: nothing can connect to it (the proxy resolves it again).
 */
export async function checkResolvedHost(policy: UrlPolicy, host: string, port: number, resolve: HostLookup): Promise<Verdict> {
  if (!policy.checksAddresses || parseIp(host) !== undefined) return ALLOWED;
  let addresses: IpAddress[];
  try {
    addresses = await resolve(host);
  } catch {
    return ALLOWED;
  }
  return policy.checkAddresses(host, port, addresses);
}
