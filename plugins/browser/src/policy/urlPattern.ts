/**
 * URL patterns for `allowUrls` and `denyUrls`: `<scheme>://<host>[:<port>][<path>]`, or `*`.
 *
 * - scheme: `http`, `https`, or `*` (either). Nothing else can be granted.
 * - host: a name (`example.com`), `*.example.com` (that name and every subdomain), `*` (any
 *   host), an IPv4 address, or an IPv6 address in brackets (`[::1]`).
 * - port: digits or `*` (any). Absent: the scheme's default port (80 or 443) only.
 * - path: absent or `/*` for any path; otherwise a glob on the path (no query) where `*`
 *   matches any run of characters, `/` included (`/docs/*`).
 * - `*` alone is `*://*:*`: any http or https URL.
 */
export interface UrlPattern {
  /** As written in the grants, for messages. */
  readonly source: string;
  readonly schemes: readonly ('http:' | 'https:')[];
  /** Lowercase; `*` for any host; a `*.` prefix for a domain and its subdomains; IPv6 without brackets. */
  readonly host: string;
  /** A port, `*` for any, or `default` for the scheme's default port. */
  readonly port: number | '*' | 'default';
  /** Null for any path. */
  readonly path: RegExp | null;
}

const PATTERN = /^(\*|https?):\/\/(\*|\*\.[^/:[\]*]+|\[[0-9a-fA-F:.]+\]|[^/:[\]*]+)(?::(\*|\d{1,5}))?(\/.*)?$/;

export const DEFAULT_PORTS: Readonly<Record<string, number>> = Object.freeze({ 'http:': 80, 'https:': 443 });

/** Parses a pattern; returns a problem message instead when it is not valid. */
export function parseUrlPattern(source: string): UrlPattern | string {
  if (source === '*') return { source, schemes: ['http:', 'https:'], host: '*', port: '*', path: null };
  const match = PATTERN.exec(source);
  if (match === null) {
    return `"${source}" is not a URL pattern: expected <scheme>://<host>[:<port>][/path] with scheme http, https or *, e.g. https://*.example.com or http://127.0.0.1:*`;
  }
  const [, scheme = '', rawHost = '', rawPort, rawPath] = match;
  const port = rawPort === undefined ? 'default' : rawPort === '*' ? '*' : Number(rawPort);
  if (typeof port === 'number' && (port < 1 || port > 65535)) return `"${source}": port ${rawPort} is out of range`;
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1).toLowerCase() : stripDot(rawHost.toLowerCase());
  return {
    source,
    schemes: scheme === '*' ? ['http:', 'https:'] : [`${scheme}:` as 'http:' | 'https:'],
    host,
    port,
    path: rawPath === undefined || rawPath === '/*' ? null : globToRegExp(rawPath),
  };
}

/** Whether the pattern matches this http(s) URL (ws/wss already mapped to http/https). */
export function matchesUrl(pattern: UrlPattern, url: URL): boolean {
  return matchesOrigin(pattern, url.protocol, hostOf(url), effectivePort(url)) && (pattern.path === null || pattern.path.test(url.pathname));
}

/**
 * Whether the pattern matches this host and port for some scheme, ignoring the path: what a
 * proxied connection (CONNECT host:port) can be checked against.
 */
export function matchesHostPort(pattern: UrlPattern, host: string, port: number): boolean {
  return pattern.schemes.some((scheme) => matchesOrigin(pattern, scheme, host, port));
}

function matchesOrigin(pattern: UrlPattern, scheme: string, host: string, port: number): boolean {
  if (!pattern.schemes.includes(scheme as 'http:' | 'https:')) return false;
  const wantedPort = pattern.port === 'default' ? DEFAULT_PORTS[scheme] : pattern.port;
  if (wantedPort !== '*' && wantedPort !== port) return false;
  return matchesHost(pattern.host, host);
}

/** `*`, `*.example.com` (the domain and its subdomains), or an exact host. */
export function matchesHost(patternHost: string, host: string): boolean {
  if (patternHost === '*') return true;
  if (patternHost.startsWith('*.')) {
    const domain = patternHost.slice(2);
    return host === domain || host.endsWith(`.${domain}`);
  }
  return host === patternHost;
}

/** The URL's host, lowercase, without IPv6 brackets or a trailing dot. */
export function hostOf(url: URL): string {
  const host = url.hostname.toLowerCase();
  return host.startsWith('[') ? host.slice(1, -1) : stripDot(host);
}

export function effectivePort(url: URL): number {
  return url.port === '' ? (DEFAULT_PORTS[url.protocol] ?? 0) : Number(url.port);
}

function stripDot(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}
