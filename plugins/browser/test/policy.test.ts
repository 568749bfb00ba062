import { describe, expect, it } from 'vitest';
import { PalyraError } from '@palyra/shared';
import { parseHostRule, parseUrlPattern, resolveGrants, type BrowserGrants } from '../src/index.js';
import { parseIp } from '../src/policy/ipAddress.js';
import { checkResolvedHost } from '../src/policy/resolveHost.js';

const policyOf = (grants: BrowserGrants) => resolveGrants(grants).policy;
const allowed = (grants: BrowserGrants, url: string) => policyOf(grants).checkRequest(url).allowed;
const reason = (grants: BrowserGrants, url: string) => {
  const verdict = policyOf(grants).checkRequest(url);
  return verdict.allowed ? 'allowed' : verdict.reason;
};

describe('URL patterns', () => {
  it('parse schemes, hosts, ports and paths', () => {
    expect(parseUrlPattern('https://*.example.com')).toMatchObject({ schemes: ['https:'], host: '*.example.com', port: 'default', path: null });
    expect(parseUrlPattern('*://127.0.0.1:*')).toMatchObject({ schemes: ['http:', 'https:'], host: '127.0.0.1', port: '*' });
    expect(parseUrlPattern('http://[::1]:8080/api/*')).toMatchObject({ host: '::1', port: 8080 });
    expect(parseUrlPattern('*')).toMatchObject({ host: '*', port: '*' });
    for (const bad of ['example.com', 'file:///etc', 'ftp://x', 'https://exa*mple.com', 'http://x:0', 'http://x:70000', 'chrome://settings', 'https://']) {
      expect(typeof parseUrlPattern(bad), bad).toBe('string');
    }
  });

  it('match as documented: default ports, subdomains, path globs, ws as http', () => {
    const g = { allowUrls: ['https://*.example.com', 'http://127.0.0.1:*', 'https://docs.test/guide/*'] };
    expect(allowed(g, 'https://example.com/')).toBe(true);
    expect(allowed(g, 'https://a.b.example.com/x?y')).toBe(true);
    expect(allowed(g, 'https://example.com:8443/')).toBe(false);
    expect(allowed(g, 'http://example.com/')).toBe(false);
    expect(allowed(g, 'https://badexample.com/')).toBe(false);
    expect(allowed(g, 'http://127.0.0.1:9999/a')).toBe(true);
    expect(allowed(g, 'ws://127.0.0.1:9999/socket')).toBe(true);
    expect(allowed(g, 'https://docs.test/guide/intro')).toBe(true);
    expect(allowed(g, 'https://docs.test/other')).toBe(false);
    expect(allowed(g, 'HTTPS://EXAMPLE.COM./')).toBe(true);
  });
});

describe('the URL policy', () => {
  it('denies everything when no allowUrls are granted, except about:blank', () => {
    expect(reason({}, 'https://example.com/')).toMatch(/no allowUrls/);
    expect(allowed({}, 'about:blank')).toBe(true);
    expect(policyOf({}).checkNavigation('https://example.com/').allowed).toBe(false);
  });

  it('never allows file:, chrome:, other about: pages or javascript:, whatever is granted', () => {
    const g = { allowUrls: ['*'] };
    for (const url of ['file:///etc/passwd', 'chrome://settings', 'about:config', 'javascript:alert(1)', 'chrome-extension://x/y', 'view-source:http://a/', 'ftp://a/']) {
      expect(allowed(g, url), url).toBe(false);
    }
    expect(reason(g, 'file:///etc/passwd')).toMatch(/file: URLs are never allowed/);
  });

  it('allows data: and blob: only as subresources, never as the URL to open', () => {
    const policy = policyOf({ allowUrls: ['*'] });
    expect(policy.checkRequest('data:image/png;base64,AAAA').allowed).toBe(true);
    expect(policy.checkNavigation('data:text/html,<h1>x</h1>').allowed).toBe(false);
    expect(policy.checkNavigation('blob:http://a/1').allowed).toBe(false);
    expect(policy.checkNavigation('ws://a/').allowed).toBe(false);
    expect(policy.checkNavigation('not a url').allowed).toBe(false);
  });

  it('lets denyUrls and denyHosts win over allowUrls', () => {
    const g = { allowUrls: ['*'], denyUrls: ['https://example.com/admin/*'], denyHosts: ['10.0.0.0/8', '*.internal', '127.0.0.1:7443', '[::1]:7443', '169.254.169.254'] };
    expect(reason(g, 'https://example.com/admin/users')).toMatch(/denyUrls entry "https:\/\/example.com\/admin\/\*"/);
    expect(allowed(g, 'https://example.com/public')).toBe(true);
    expect(reason(g, 'http://10.1.2.3/')).toMatch(/denyHosts entry "10.0.0.0\/8"/);
    expect(allowed(g, 'http://db.internal/')).toBe(false);
    // `*.internal` covers the name itself too.
    expect(allowed(g, 'http://internal/')).toBe(false);
    expect(allowed(g, 'https://127.0.0.1:7443/')).toBe(false);
    expect(allowed(g, 'http://127.0.0.1:8080/')).toBe(true);
    expect(allowed(g, 'http://[::1]:7443/')).toBe(false);
    expect(allowed(g, 'http://169.254.169.254/latest/meta-data')).toBe(false);
    // The URL parser normalises other spellings of an address before the check.
    expect(allowed(g, 'http://0xa.1.2.3/')).toBe(false);
    expect(allowed(g, 'http://[::ffff:10.0.0.1]/')).toBe(false);
    expect(allowed(g, 'ws://127.0.0.1:7443/')).toBe(false);
  });

  it('checks proxied connections by host and port', () => {
    const policy = policyOf({ allowUrls: ['https://*.example.com', 'http://127.0.0.1:*'], denyUrls: ['https://evil.example.com'], denyHosts: ['127.0.0.1:7443'] });
    expect(policy.checkHostPort('a.example.com', 443).allowed).toBe(true);
    expect(policy.checkHostPort('a.example.com', 444).allowed).toBe(false);
    expect(policy.checkHostPort('evil.example.com', 443).allowed).toBe(false);
    expect(policy.checkHostPort('127.0.0.1', 7443).allowed).toBe(false);
    expect(policy.checkHostPort('127.0.0.1', 8000).allowed).toBe(true);
  });

  it('checks what a name resolves to against IP entries of denyHosts', async () => {
    const policy = policyOf({ allowUrls: ['*'], denyHosts: ['127.0.0.1:7443', '10.0.0.0/8'] });
    const resolve = async (host: string) => (host === 'sneaky.test' ? [parseIp('10.9.9.9')!] : [parseIp('::ffff:127.0.0.1')!]);
    expect(await checkResolvedHost(policy, 'sneaky.test', 80, resolve)).toMatchObject({ allowed: false, reason: expect.stringMatching(/resolves to 10.9.9.9/) as unknown });
    expect((await checkResolvedHost(policy, 'localhost', 7443, resolve)).allowed).toBe(false);
    expect((await checkResolvedHost(policy, 'localhost', 80, resolve)).allowed).toBe(true);
    const failing = async () => Promise.reject(new Error('ENOTFOUND'));
    expect((await checkResolvedHost(policy, 'nowhere.test', 80, failing)).allowed).toBe(true);
  });
});

describe('denyHosts entries', () => {
  it('parse names, wildcards, addresses, ranges and ports', () => {
    expect(parseHostRule('daemon.lan:7443')).toMatchObject({ kind: 'name', host: 'daemon.lan', port: 7443 });
    expect(parseHostRule('*.corp.example')).toMatchObject({ kind: 'name', host: '*.corp.example', port: null });
    expect(parseHostRule('::1')).toMatchObject({ kind: 'ip', port: null });
    expect(parseHostRule('[fd00::1]:7443')).toMatchObject({ kind: 'ip', port: 7443 });
    expect(parseHostRule('fd00::/8')).toMatchObject({ kind: 'ip' });
    for (const bad of ['10.0.0.0/33', 'host:99999', 'a b', 'http://x', '']) expect(typeof parseHostRule(bad), bad).toBe('string');
  });
});

describe('resolveGrants', () => {
  it('applies defaults', () => {
    expect(resolveGrants({})).toMatchObject({ maxPages: 4, timeoutMs: 30_000, maxOutputBytes: 2 * 1024 * 1024, noSandbox: false, profilesDir: undefined });
    expect(resolveGrants(undefined).policy.allowUrls).toEqual([]);
  });

  it('refuses malformed grants with PALYRA_E_CONFIG_INVALID naming the grant', () => {
    for (const [grants, text] of [
      [{ allowUrls: ['example.com'] }, 'grants.allowUrls'],
      [{ denyHosts: ['10.0.0.0/99'] }, 'grants.denyHosts'],
      [{ profilesDir: 'relative/dir' }, 'grants.profilesDir'],
      [{ chromiumPath: 'chromium' }, 'grants.chromiumPath'],
      [{ maxPages: 0 }, 'maxPages'],
      [{ bogus: true }, 'additional'],
    ] as const) {
      let error: unknown;
      try {
        resolveGrants(grants);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(grants)).toBeInstanceOf(PalyraError);
      expect((error as PalyraError).code).toBe('PALYRA_E_CONFIG_INVALID');
      expect((error as PalyraError).message).toContain(text);
    }
  });
});
