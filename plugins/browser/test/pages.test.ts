import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserGrants } from '../src/index.js';
import { TestServer, decodePngHeader, html, testPlugin, type TestPlugin } from './helpers.js';

let browser: TestPlugin;
let site: TestServer;
let grants: BrowserGrants;

beforeAll(async () => {
  browser = testPlugin();
  site = await TestServer.start(() => ({
    '/': (_req, res) =>
      html(res, '<title>Home</title><h1 id="greeting">Hello, browser</h1><p class="item">one</p><p class="item">two</p><a id="next" href="/next">next</a>'),
    '/next': (_req, res) => html(res, '<title>Next</title><p>second page</p>'),
    '/redirect': (_req, res) => res.writeHead(302, { location: '/final' }).end(),
    '/final': (_req, res) => html(res, '<title>Final</title>'),
    '/form': (_req, res) =>
      html(
        res,
        '<title>Form</title><form method="post" action="/submit"><input id="name" name="name"><input id="email" name="email" type="email">' +
          '<textarea id="comment" name="comment"></textarea><button id="send" type="submit">Send</button></form>',
      ),
    'POST /submit': (_req, res, body) => html(res, `<title>Thanks</title><p id="echo">${new URLSearchParams(body).get('name') ?? ''}</p>`),
    '/tall': (_req, res) => html(res, '<title>Tall</title><body style="margin:0"><div style="width:100px;height:3000px;background:#c00"></div></body>'),
  }));
  grants = { allowUrls: [site.origin], denyHosts: ['10.0.0.0/8'] };
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('browser.navigate', () => {
  it('returns the final URL after a redirect, the status and the title', async () => {
    const output = await browser.run('browser.navigate', { url: site.url('/redirect') }, grants);
    expect(output).toEqual({ url: site.url('/final'), status: 200, title: 'Final', blocked: [] });
    expect(site.saw('/redirect') && site.saw('/final')).toBe(true);
  });

  it('reports an HTTP error status as a result, not an error', async () => {
    expect(await browser.run('browser.navigate', { url: site.url('/missing') }, grants)).toMatchObject({ status: 404, title: 'Not found' });
  });
});

describe('browser.text', () => {
  it('returns the rendered text of the page', async () => {
    const output = await browser.run<{ text: string; matches: number | null; truncated: boolean }>('browser.text', { url: site.url('/') }, grants);
    expect(output.text).toContain('Hello, browser');
    expect(output.text).toContain('one');
    expect(output).toMatchObject({ matches: null, truncated: false, title: 'Home' });
  });

  it('returns the text of what a selector matches, one line per match', async () => {
    expect(await browser.run('browser.text', { url: site.url('/'), selector: '.item' }, grants)).toMatchObject({ text: 'one\ntwo', matches: 2 });
  });

  it('cuts text at grants.maxOutputBytes', async () => {
    const output = await browser.run('browser.text', { url: site.url('/'), selector: '#greeting' }, { ...grants, maxOutputBytes: 5 });
    expect(output).toMatchObject({ text: 'Hello', truncated: true });
  });

  it('times out clearly when the selector never matches', async () => {
    const error = await browser.fail('browser.text', { url: site.url('/'), selector: '#absent', timeoutMs: 3000 }, grants);
    expect(error.code).toBe('PALYRA_E_TIMEOUT');
    expect(error.message).toContain('waiting for "#absent"');
  });
});

describe('browser.click and browser.fill', () => {
  it('click follows a link and returns where it led', async () => {
    expect(await browser.run('browser.click', { url: site.url('/'), selector: '#next' }, grants)).toEqual({
      url: site.url('/next'),
      status: 200,
      title: 'Next',
      blocked: [],
    });
  });

  it('refuses a selector that matches more than one element', async () => {
    const error = await browser.fail('browser.click', { url: site.url('/'), selector: '.item' }, grants);
    expect(error.code).toBe('PALYRA_E_INVALID_ARGUMENT');
  });

  it('fill submits a form and the server sees the values', async () => {
    const output = await browser.run(
      'browser.fill',
      {
        url: site.url('/form'),
        fields: [
          { selector: '#name', value: 'Ada Lovelace' },
          { selector: '#email', value: 'ada@example.com' },
          { selector: '#comment', value: 'line 1\nline 2 & more' },
        ],
        submit: '#send',
      },
      grants,
    );
    expect(output).toEqual({ url: site.url('/submit'), status: 200, title: 'Thanks', blocked: [], filled: 3 });
    const posted = site.seen.find((r) => r.method === 'POST' && r.url === '/submit');
    expect(Object.fromEntries(new URLSearchParams(posted?.body ?? ''))).toEqual({ name: 'Ada Lovelace', email: 'ada@example.com', comment: 'line 1\r\nline 2 & more' });
  });
});

describe('browser.screenshot and browser.pdf', () => {
  it('screenshots the viewport as a PNG of the viewport size', async () => {
    const output = await browser.run<{ data: string; width: number; height: number; bytes: number; mimeType: string }>(
      'browser.screenshot',
      { url: site.url('/tall'), viewport: { width: 800, height: 600 } },
      grants,
    );
    const png = Buffer.from(output.data, 'base64');
    expect(decodePngHeader(png)).toEqual({ width: 800, height: 600 });
    expect(output).toMatchObject({ mimeType: 'image/png', width: 800, height: 600, bytes: png.length, title: 'Tall' });
  });

  it('screenshots the full page at its whole height', async () => {
    const output = await browser.run<{ data: string }>('browser.screenshot', { url: site.url('/tall'), viewport: { width: 800, height: 600 }, fullPage: true }, grants);
    expect(decodePngHeader(Buffer.from(output.data, 'base64'))).toEqual({ width: 800, height: 3000 });
  });

  it('refuses a screenshot over grants.maxOutputBytes', async () => {
    const error = await browser.fail('browser.screenshot', { url: site.url('/tall') }, { ...grants, maxOutputBytes: 100 });
    expect(error.code).toBe('PALYRA_E_LIMIT_EXCEEDED');
  });

  it('prints the page to PDF', async () => {
    const output = await browser.run<{ data: string; bytes: number; mimeType: string }>('browser.pdf', { url: site.url('/'), format: 'Letter' }, grants);
    const pdf = Buffer.from(output.data, 'base64');
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(output).toMatchObject({ mimeType: 'application/pdf', bytes: pdf.length, title: 'Home' });
  });
});
