import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserGrants } from '../src/index.js';
import { TestServer, html, markedPids, testPlugin, type TestPlugin } from './helpers.js';

let browser: TestPlugin;
/** The site pages are allowed to load. */
let site: TestServer;
/** A service the node can reach but pages must not (like the daemon). */
let internal: TestServer;
let grants: BrowserGrants;

beforeAll(async () => {
  browser = testPlugin();
  internal = await TestServer.start(() => ({ '/secret': (_req, res) => html(res, '<title>Secret</title>') }));
  site = await TestServer.start((self) => ({
    '/': (_req, res) => html(res, '<title>Home</title>'),
    // A redirect to a host the grants do not allow.
    '/leak-redirect': (_req, res) => res.writeHead(302, { location: `http://localhost:${self.port}/secret` }).end(),
    // Subresources on a host the grants do not allow, and on the internal service.
    '/leak-subresources': (_req, res) =>
      html(
        res,
        `<title>Leaky</title><img src="http://localhost:${self.port}/secret.png"><img src="/hop">` +
          `<script>fetch('http://127.0.0.1:${internal.port}/secret').catch(() => {})</script>`,
      ),
    '/hop': (_req, res) => res.writeHead(302, { location: `http://127.0.0.1:${internal.port}/secret` }).end(),
    // WebSockets are invisible to request interception: the policy proxy must stop them.
    '/websocket': (_req, res) =>
      html(
        res,
        `<title>WS</title><script>
          const results = [];
          const report = (result) => {
            results.push(result);
            if (results.length < 2) return;
            const done = document.createElement('p');
            done.id = 'done';
            done.textContent = results.sort().join(',');
            document.body.append(done);
          };
          const ws = new WebSocket('ws://127.0.0.1:${internal.port}/socket');
          ws.onerror = () => report('page:error');
          ws.onopen = () => report('page:open');
          const worker = new Worker(URL.createObjectURL(new Blob([
            "const s = new WebSocket('ws://localhost:${internal.port}/worker-socket');" +
            "s.onerror = () => postMessage('worker:error'); s.onopen = () => postMessage('worker:open');"
          ])));
          worker.onmessage = (event) => report(event.data);
        </script>`,
      ),
    // A name allowed by allowUrls that resolves to a denied address.
    '/by-name': (_req, res) => html(res, `<title>By name</title><img src="http://localhost:${internal.port}/secret.png">`),
  }));
  grants = {
    allowUrls: [site.origin, `http://localhost:${internal.port}`],
    // The internal service by address and port: what an operator lists for the daemon.
    denyHosts: [`127.0.0.1:${internal.port}`, `[::1]:${internal.port}`],
  };
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await internal?.close();
});

describe('the URL policy on the URL to open', () => {
  it('refuses everything when allowUrls is not granted, without starting a browser', async () => {
    const error = await browser.fail('browser.navigate', { url: site.url('/') }, {});
    expect(error.code).toBe('PALYRA_E_CAPABILITY_DENIED');
    expect(error.message).toContain('no allowUrls are granted');
    expect(markedPids(browser.marker)).toEqual([]);
    expect(site.saw('/')).toBe(false);
  });

  it('refuses file:, chrome:, data: and hosts not allowed', async () => {
    for (const [url, text] of [
      ['file:///etc/passwd', 'file: URLs are never allowed'],
      ['chrome://version', 'chrome: URLs are never allowed'],
      ['data:text/html,<title>x</title>', 'data: URLs cannot be opened'],
      [`http://localhost:${site.port}/`, 'matches no allowUrls entry'],
      [`http://127.0.0.1:${internal.port}/secret`, `denyHosts entry "127.0.0.1:${internal.port}"`],
    ]) {
      const error = await browser.fail('browser.text', { url }, grants);
      expect(error.code, url).toBe('PALYRA_E_CAPABILITY_DENIED');
      expect(error.message, url).toContain(text);
    }
    expect(internal.seen).toEqual([]);
  });
});

describe('the URL policy on every request the page makes', () => {
  it('refuses a redirect to a URL the grants do not allow', async () => {
    const error = await browser.fail('browser.navigate', { url: site.url('/leak-redirect') }, grants);
    expect(error.code).toBe('PALYRA_E_CAPABILITY_DENIED');
    expect(error.message).toContain(`http://localhost:${site.port}/secret`);
    expect(error.message).toContain('matches no allowUrls entry');
    expect(site.saw('/secret')).toBe(false);
  });

  it('blocks denied subresources, fetches and redirect hops, and reports them', async () => {
    const output = await browser.run<{ title: string; blocked: { url: string; reason: string }[] }>('browser.navigate', { url: site.url('/leak-subresources') }, grants);
    expect(output.title).toBe('Leaky');
    const blocked = Object.fromEntries(output.blocked.map((b) => [b.url, b.reason]));
    expect(blocked[`http://localhost:${site.port}/secret.png`]).toBe('matches no allowUrls entry');
    expect(site.saw('/hop')).toBe(true);
    expect(site.saw('/secret.png')).toBe(false);
    expect(internal.seen).toEqual([]);
  });

  it('stops WebSockets to denied hosts, from pages and workers, at the proxy', async () => {
    const output = await browser.run('browser.text', { url: site.url('/websocket'), selector: '#done' }, grants);
    expect(output).toMatchObject({ text: 'page:error,worker:error' });
    expect(internal.upgrades).toEqual([]);
  });

  it('refuses a name that resolves to a denied address', async () => {
    const output = await browser.run<{ blocked: { url: string; reason: string }[] }>('browser.navigate', { url: site.url('/by-name') }, grants);
    expect(output.blocked).toEqual([{ url: `http://localhost:${internal.port}/secret.png`, reason: expect.stringMatching(/localhost resolves to (127\.0\.0\.1|::1), denied by denyHosts/) as unknown }]);
    const error = await browser.fail('browser.navigate', { url: `http://localhost:${internal.port}/secret` }, grants);
    expect(error.code).toBe('PALYRA_E_CAPABILITY_DENIED');
    expect(error.message).toMatch(/resolves to/);
    expect(internal.seen).toEqual([]);
  });

  it('reports a server it cannot reach as PALYRA_E_NAVIGATION_FAILED', async () => {
    const closed = await TestServer.start(() => ({}));
    const port = closed.port;
    await closed.close();
    const error = await browser.fail('browser.navigate', { url: `http://127.0.0.1:${port}/` }, { ...grants, allowUrls: [...(grants.allowUrls ?? []), `http://127.0.0.1:${port}`] });
    expect(error.code).toBe('PALYRA_E_NAVIGATION_FAILED');
    expect(error.message).toContain('ECONNREFUSED');
  });
});
