import { isIP } from 'node:net';
import { PalyraError } from '../errors/index.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses HOST:PORT or [IPv6]:PORT. Port 0 is allowed (pick a free port). */
export function parseHostPort(text: string, what = 'address'): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (match === null || host === undefined || !Number.isInteger(port) || port > 65535) {
    throw new PalyraError('PALYRA_E_USAGE', `${what} "${text}" is not HOST:PORT, e.g. 127.0.0.1:7443 or [::1]:7443`);
  }
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
