import { readdirSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PalyraError } from '@palyra/shared';
import type { BrowserGrants } from '../src/index.js';
import { TestServer, browserMainPid, html, markedPids, testPlugin, waitFor, type TestPlugin } from './helpers.js';

let browser: TestPlugin;
let site: TestServer;
let profilesDir: string;
let grants: BrowserGrants;

beforeAll(async () => {
  browser = testPlugin();
  profilesDir = join(await mkdtemp(join(tmpdir(), 'palyra-browser-profiles-')), 'profiles');
  site = await TestServer.start(() => ({
    '/': (_req, res) => html(res, '<title>Home</title>'),
    // The document arrives, but an image on it never does: the load event never fires.
    '/never-loads': (_req, res) => html(res, '<title>Stuck</title><img src="/hang">'),
    '/hang': () => {},
    '/set-cookie': (_req, res) => html(res, '<title>Set</title>', { 'set-cookie': 'session=abc123; Path=/; Max-Age=3600; HttpOnly' }),
    '/show-cookie': (req, res) => html(res, `<title>Show</title><p id="cookie">${req.headers.cookie ?? 'none'}</p>`),
  }));
  grants = { allowUrls: [site.origin], denyHosts: ['10.0.0.0/8'], profilesDir };
  // Start the browser now, so the tests time pages, not a cold start.
  await browser.run('browser.navigate', { url: site.url('/') }, grants);
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  if (profilesDir !== undefined) await rm(join(profilesDir, '..'), { recursive: true, force: true });
});

describe('timeouts and cancellation', () => {
  it('a page that never finishes loading times out with a clear error', async () => {
    const error = await browser.fail('browser.navigate', { url: site.url('/never-loads'), timeoutMs: 2000 }, grants);
    expect(error.code).toBe('PALYRA_E_TIMEOUT');
    expect(error.message).toBe(`${site.url('/never-loads')} did not finish loading (waitUntil: load) within 2000 ms`);
    expect(error.details).toMatchObject({ waitUntil: 'load', timeoutMs: 2000 });
    // The context was closed: the hanging image request was dropped.
    expect(await waitFor(() => site.abandoned.includes('/hang'))).toBe(true);
  });

  it('refuses timeoutMs over grants.timeoutMs', async () => {
    const error = await browser.fail('browser.navigate', { url: site.url('/'), timeoutMs: 5000 }, { ...grants, timeoutMs: 1000 });
    expect(error.code).toBe('PALYRA_E_LIMIT_EXCEEDED');
  });

  it('cancelling mid-navigation closes the page at once: PALYRA_E_CANCELLED', async () => {
    const controller = new AbortController();
    const before = site.seen.length;
    const pending = browser.fail('browser.navigate', { url: site.url('/hang?cancel') }, grants, { signal: controller.signal });
    expect(await waitFor(() => site.seen.slice(before).some((r) => r.url === '/hang?cancel'), 20_000)).toBe(true);
    const abortedAt = Date.now();
    controller.abort();
    const error = await pending;
    expect(error.code).toBe('PALYRA_E_CANCELLED');
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    expect(await waitFor(() => site.abandoned.includes('/hang?cancel'))).toBe(true);
  });

  it("keeps the code of the host's abort reason (the dispatch deadline)", async () => {
    const controller = new AbortController();
    const before = site.seen.length;
    const pending = browser.fail('browser.navigate', { url: site.url('/hang?deadline') }, grants, { signal: controller.signal });
    expect(await waitFor(() => site.seen.slice(before).some((r) => r.url === '/hang?deadline'), 20_000)).toBe(true);
    controller.abort(new PalyraError('PALYRA_E_TIMEOUT', 'dispatch deadline'));
    expect((await pending).code).toBe('PALYRA_E_TIMEOUT');
  });

  it('a caller waiting for a page slot gives up when its signal fires', async () => {
    const oneAtATime = { ...grants, maxPages: 1 };
    const holder = new AbortController();
    const holding = browser.fail('browser.navigate', { url: site.url('/hang?holder') }, oneAtATime, { signal: holder.signal });
    expect(await waitFor(() => site.saw('/hang?holder'), 20_000)).toBe(true);

    const waiter = new AbortController();
    const waiting = browser.fail('browser.navigate', { url: site.url('/?waiter') }, oneAtATime, { signal: waiter.signal });
    const queued = browser.run('browser.navigate', { url: site.url('/?queued') }, oneAtATime);
    await new Promise((resolve) => setTimeout(resolve, 300));
    waiter.abort();
    expect((await waiting).code).toBe('PALYRA_E_CANCELLED');
    expect(site.saw('/?waiter') || site.saw('/?queued')).toBe(false);

    holder.abort();
    expect((await holding).code).toBe('PALYRA_E_CANCELLED');
    expect(await queued).toMatchObject({ title: 'Home' });
    expect(site.saw('/?waiter')).toBe(false);
  });
});

describe('the shared browser process', () => {
  it('is started again when it was killed between dispatches', async () => {
    await browser.run('browser.navigate', { url: site.url('/') }, grants);
    const first = browserMainPid(browser.marker);
    expect(first).toBeGreaterThan(0);
    const before = markedPids(browser.marker);
    process.kill(first!, 'SIGKILL');
    expect(await waitFor(() => !markedPids(browser.marker).includes(first!))).toBe(true);

    expect(await browser.run('browser.navigate', { url: site.url('/') }, grants)).toMatchObject({ status: 200, title: 'Home' });
    const second = browserMainPid(browser.marker);
    expect(second).toBeGreaterThan(0);
    expect(second).not.toBe(first);
    // What the killed browser had started (renderers, zygote) went with it.
    expect(await waitFor(() => before.every((pid) => !markedPids(browser.marker).includes(pid)))).toBe(true);
  });

  it('leaves nothing in the temp dir, killed or closed', async () => {
    // Chromium keeps a process-singleton socket dir (org.chromium.Chromium.*) in its TMPDIR
    // that only a clean shutdown removes: a killed one must not leave it behind.
    // A short name: Chromium's socket path under it must stay under 108 bytes.
    const temp = await mkdtemp(join(tmpdir(), 'pbt-'));
    const own = testPlugin({ TMPDIR: temp });
    let closed = false;
    try {
      await own.run('browser.navigate', { url: site.url('/') }, grants);
      expect(readdirSync(temp)).toHaveLength(1);
      const first = browserMainPid(own.marker);
      expect(first).toBeGreaterThan(0);
      process.kill(first!, 'SIGKILL');
      expect(await waitFor(() => !markedPids(own.marker).includes(first!))).toBe(true);
      expect(await own.run('browser.navigate', { url: site.url('/') }, grants)).toMatchObject({ status: 200 });
      // The killed browser's temp entries go once its end is seen; the new browser's stay.
      expect(await waitFor(() => readdirSync(temp).length === 1), `left in the temp dir: ${readdirSync(temp).join(', ')}`).toBe(true);
      closed = true;
      await own.close();
      expect(readdirSync(temp)).toEqual([]);
    } finally {
      if (!closed) await own.close().catch(() => {});
      await rm(temp, { recursive: true, force: true });
    }
  });
});

describe('profiles', () => {
  it('a named profile keeps its cookies between dispatches; other dispatches start clean', async () => {
    await browser.run('browser.navigate', { url: site.url('/set-cookie'), profile: 'alice' }, grants);
    expect(await browser.run('browser.text', { url: site.url('/show-cookie'), profile: 'alice', selector: '#cookie' }, grants)).toMatchObject({ text: 'session=abc123' });
    expect(await browser.run('browser.text', { url: site.url('/show-cookie'), selector: '#cookie' }, grants)).toMatchObject({ text: 'none' });
    expect(await browser.run('browser.text', { url: site.url('/show-cookie'), profile: 'bob', selector: '#cookie' }, grants)).toMatchObject({ text: 'none' });
    expect((await stat(join(profilesDir, 'alice.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(profilesDir)).mode & 0o777).toBe(0o700);
  });

  it('without a fresh context, cookies set without a profile do not survive', async () => {
    await browser.run('browser.navigate', { url: site.url('/set-cookie') }, grants);
    expect(await browser.run('browser.text', { url: site.url('/show-cookie'), selector: '#cookie' }, grants)).toMatchObject({ text: 'none' });
  });

  it('is refused when the node grants no profilesDir', async () => {
    const error = await browser.fail('browser.navigate', { url: site.url('/'), profile: 'alice' }, { allowUrls: [site.origin] });
    expect(error.code).toBe('PALYRA_E_CAPABILITY_DENIED');
    expect(error.message).toContain('profilesDir');
  });
});
