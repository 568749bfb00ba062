import { isIP } from 'node:net';

export interface IpAddress {
  readonly address: string;
  readonly family: 'ipv4' | 'ipv6';
}

/**
 * An IP address as the policy compares it: IPv6 without brackets, and an IPv4-mapped IPv6
 * address (`::ffff:127.0.0.1`, `::ffff:7f00:1`) as the IPv4 address it is. Undefined for a name.
 */
export function parseIp(text: string): IpAddress | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const version = isIP(bare);
  if (version === 4) return { address: bare, family: 'ipv4' };
  if (version !== 6) return undefined;
  const mapped = mappedIpv4(bare.toLowerCase());
  return mapped === undefined ? { address: bare.toLowerCase(), family: 'ipv6' } : { address: mapped, family: 'ipv4' };
}

function mappedIpv4(address: string): string | undefined {
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted?.[1] !== undefined && isIP(dotted[1]) === 4) return dotted[1];
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (hex?.[1] === undefined || hex[2] === undefined) return undefined;
  const high = Number.parseInt(hex[1], 16);
  const low = Number.parseInt(hex[2], 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}
