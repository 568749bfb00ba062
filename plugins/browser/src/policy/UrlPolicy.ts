import { ruleMatchesAddress, ruleMatchesHost, type HostRule } from './hostRule.js';
import { parseIp, type IpAddress } from './ipAddress.js';
import { effectivePort, hostOf, matchesHostPort, matchesUrl, type UrlPattern } from './urlPattern.js';

export type Verdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

export const ALLOWED: Verdict = Object.freeze({ allowed: true });

/** Schemes a page may load as subresources without any network access. */
const LOCAL_SCHEMES = new Set(['data:', 'blob:']);
const WEBSOCKET_SCHEMES: Readonly<Record<string, string>> = { 'ws:': 'http:', 'wss:': 'https:' };

/**
 * The plugin's URL policy, built from the grants. Deny by default: with no `allowUrls`,
 * nothing but `about:blank` is allowed. In order:
 * 1. `about:blank` is allowed (it makes no request);
 * 2. anything but http, https (and ws, wss, checked as http, https) is denied: file:,
 *    chrome:, other about: pages, javascript:, ftp:... (data: and blob: are allowed only as a
 *    page's own subresources, never as the URL a dispatch navigates to);
 * 3. `denyHosts` (by host as written; IP rules also by resolved address, see `checkAddresses`);
 * 4. `denyUrls`;
 * 5. `allowUrls`: the URL must match one.
 */
export class UrlPolicy {
  constructor(
    readonly allowUrls: readonly UrlPattern[],
    readonly denyUrls: readonly UrlPattern[],
    readonly denyHosts: readonly HostRule[],
  ) {}

  /** Whether some denyHosts entry is an IP or a range, so names must be resolved to be checked. */
  get checksAddresses(): boolean {
    return this.denyHosts.some((rule) => rule.kind === 'ip');
  }

  /** The URL a dispatch asks to open: only http(s) URLs the grants allow, or about:blank. */
  checkNavigation(text: string): Verdict {
    const url = parseUrl(text);
    if (url === undefined) return deny(`"${truncate(text)}" is not an absolute URL`);
    if (url.protocol === 'ws:' || url.protocol === 'wss:' || LOCAL_SCHEMES.has(url.protocol)) {
      return deny(`${url.protocol} URLs cannot be opened (only http and https)`);
    }
    return this.checkUrl(url);
  }

  /** A request the page makes (documents, subresources, redirects, workers, WebSockets). */
  checkRequest(text: string): Verdict {
    const url = parseUrl(text);
    if (url === undefined) return deny('not an absolute URL');
    if (LOCAL_SCHEMES.has(url.protocol)) return ALLOWED;
    return this.checkUrl(url);
  }

  /**
   * A connection to host:port (a proxied CONNECT, whose path is not visible): denyHosts, the
   * denyUrls that cover whole origins, and some allowUrls pattern for that host and port.
   */
  checkHostPort(host: string, port: number): Verdict {
    const bare = host.startsWith('[') ? host.slice(1, -1).toLowerCase() : host.toLowerCase().replace(/\.$/, '');
    const hostRule = this.denyHosts.find((rule) => ruleMatchesHost(rule, bare, port));
    if (hostRule !== undefined) return deny(`${bare}:${port} is denied by denyHosts entry "${hostRule.source}"`);
    const denyRule = this.denyUrls.find((pattern) => pattern.path === null && matchesHostPort(pattern, bare, port));
    if (denyRule !== undefined) return deny(`${bare}:${port} is denied by denyUrls entry "${denyRule.source}"`);
    if (this.allowUrls.length === 0) return deny('no allowUrls are granted, so every URL is refused');
    if (!this.allowUrls.some((pattern) => matchesHostPort(pattern, bare, port))) return deny(`${bare}:${port} matches no allowUrls entry`);
    return ALLOWED;
  }

  /** The addresses a host name resolved to, against the IP entries of denyHosts. */
  checkAddresses(host: string, port: number, addresses: readonly IpAddress[]): Verdict {
    for (const address of addresses) {
      const rule = this.denyHosts.find((candidate) => ruleMatchesAddress(candidate, address, port));
      if (rule !== undefined) return deny(`${host} resolves to ${address.address}, denied by denyHosts entry "${rule.source}"`);
    }
    return ALLOWED;
  }

  private checkUrl(parsed: URL): Verdict {
    if (parsed.href === 'about:blank') return ALLOWED;
    const url = asHttp(parsed);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return deny(`${parsed.protocol} URLs are never allowed (only http and https can be granted)`);
    }
    const host = hostOf(url);
    const port = effectivePort(url);
    const hostRule = this.denyHosts.find((rule) => ruleMatchesHost(rule, host, port));
    if (hostRule !== undefined) return deny(`host ${url.host} is denied by denyHosts entry "${hostRule.source}"`);
    const denyRule = this.denyUrls.find((pattern) => matchesUrl(pattern, url));
    if (denyRule !== undefined) return deny(`denied by denyUrls entry "${denyRule.source}"`);
    if (this.allowUrls.length === 0) return deny('no allowUrls are granted, so every URL is refused');
    if (!this.allowUrls.some((pattern) => matchesUrl(pattern, url))) return deny('matches no allowUrls entry');
    return ALLOWED;
  }
}

/** Host and port of an http(s) or ws(s) URL, for resolving it; undefined when the host is an IP or the URL has no network host. */
export function resolvableHost(text: string): { host: string; port: number } | undefined {
  const url = parseUrl(text);
  if (url === undefined) return undefined;
  const http = asHttp(url);
  if (http.protocol !== 'http:' && http.protocol !== 'https:') return undefined;
  const host = hostOf(http);
  return parseIp(host) === undefined ? { host, port: effectivePort(http) } : undefined;
}

function asHttp(url: URL): URL {
  const scheme = WEBSOCKET_SCHEMES[url.protocol];
  if (scheme === undefined) return url;
  return new URL(`${scheme}${url.href.slice(url.protocol.length)}`);
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function deny(reason: string): Verdict {
  return { allowed: false, reason };
}

export function truncate(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
