import { BlockList } from 'node:net';
import { matchesHost } from './urlPattern.js';
import { parseIp, type IpAddress } from './ipAddress.js';

/**
 * One `denyHosts` entry: a name (`palyra.internal`), `*.example.com`, an IP address
 * (`10.0.0.5`, `::1`), or a CIDR range (`10.0.0.0/8`, `fd00::/8`); a name or an address may
 * carry a port (`127.0.0.1:7443`, `[::1]:7443`, `daemon.lan:7443`), which limits the entry
 * to that port. IP entries are also checked against what a name resolves to.
 */
export type HostRule =
  | { readonly kind: 'name'; readonly source: string; readonly host: string; readonly port: number | null }
  | { readonly kind: 'ip'; readonly source: string; readonly blocks: BlockList; readonly port: number | null };

const WITH_PORT = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/;
const NAME = /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/;

/** Parses an entry; returns a problem message instead when it is not valid. */
export function parseHostRule(source: string): HostRule | string {
  const text = source.trim().toLowerCase();
  const cidr = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (cidr !== null) {
    const ip = parseIp(cidr[1] ?? '');
    const prefix = Number(cidr[2]);
    if (ip === undefined || prefix > (ip.family === 'ipv4' ? 32 : 128)) return `"${source}" is not a valid CIDR range`;
    const blocks = new BlockList();
    blocks.addSubnet(ip.address, prefix, ip.family);
    return { kind: 'ip', source, blocks, port: null };
  }
  let host = text;
  let port: number | null = null;
  const withPort = parseIp(text) === undefined ? WITH_PORT.exec(text) : null;
  if (withPort !== null) {
    host = withPort[1] ?? '';
    port = Number(withPort[2]);
    if (port < 1 || port > 65535) return `"${source}": port ${port} is out of range`;
  }
  const ip = parseIp(host);
  if (ip !== undefined) {
    const blocks = new BlockList();
    blocks.addAddress(ip.address, ip.family);
    return { kind: 'ip', source, blocks, port };
  }
  if (!NAME.test(host)) return `"${source}" is not a host name, IP address or CIDR range`;
  return { kind: 'name', source, host: host.endsWith('.') ? host.slice(0, -1) : host, port };
}

/** Whether the rule denies this host (as written in the URL) on this port. */
export function ruleMatchesHost(rule: HostRule, host: string, port: number): boolean {
  if (rule.port !== null && rule.port !== port) return false;
  if (rule.kind === 'name') return matchesHost(rule.host, host);
  const ip = parseIp(host);
  return ip !== undefined && rule.blocks.check(ip.address, ip.family);
}

/** Whether the rule denies this resolved address on this port (name rules never match an address). */
export function ruleMatchesAddress(rule: HostRule, address: IpAddress, port: number): boolean {
  if (rule.kind !== 'ip') return false;
  if (rule.port !== null && rule.port !== port) return false;
  return rule.blocks.check(address.address, address.family);
}
