import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLUGIN_API_VERSION, PalyraError, compileSchema } from '@palyra/shared';
import browserPlugin, { BROWSER_GRANTS_SCHEMA, createBrowserPlugin, findChromium } from '../src/index.js';
import { NO_SECRETS, makeCtx } from './helpers.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palyra-browser-plugin-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function setupWarnings(grants: unknown, options: Parameters<typeof createBrowserPlugin>[0] = {}): Promise<string[]> {
  const warnings: string[] = [];
  const log = (): void => {};
  const plugin = createBrowserPlugin(options);
  const ctx = { signal: new AbortController().signal, grants, logger: { debug: log, info: log, error: log, warn: (m: string) => void warnings.push(m) }, secrets: NO_SECRETS };
  await plugin.setup?.(ctx as unknown as Parameters<NonNullable<typeof plugin.setup>>[0]);
  await plugin.dispose?.();
  return warnings;
}

describe('the browser plugin', () => {
  it('is a plugin named browser with six net capabilities', () => {
    expect(browserPlugin.name).toBe('browser');
    expect(browserPlugin.version).toBe(pkg.version);
    expect(browserPlugin.apiVersion).toBe(PLUGIN_API_VERSION);
    expect(browserPlugin.capabilities.map((c) => [c.id, c.kind])).toEqual([
      ['browser.navigate', 'net'],
      ['browser.text', 'net'],
      ['browser.screenshot', 'net'],
      ['browser.click', 'net'],
      ['browser.fill', 'net'],
      ['browser.pdf', 'net'],
    ]);
    // Schemas travel to the daemon as JSON.
    for (const c of browserPlugin.capabilities) expect(JSON.parse(JSON.stringify([c.inputSchema, c.outputSchema]))).toEqual([c.inputSchema, c.outputSchema]);
  });

  it('setup refuses malformed grants with PALYRA_E_CONFIG_INVALID and starts no browser', async () => {
    for (const grants of [{ allowUrls: ['example.com'] }, { profilesDir: 'rel' }, { denyHosts: ['::1/200'] }]) {
      const error = await setupWarnings(grants).catch((e: unknown) => e);
      expect(error, JSON.stringify(grants)).toBeInstanceOf(PalyraError);
      expect((error as PalyraError).code).toBe('PALYRA_E_CONFIG_INVALID');
    }
  });

  it('setup warns about grants that refuse everything, reach any host, or lack denyHosts', async () => {
    expect((await setupWarnings({})).join('\n')).toContain('every browser capability refuses every URL');
    const open = (await setupWarnings({ allowUrls: ['*'] })).join('\n');
    expect(open).toContain('any host');
    expect(open).toContain('denyHosts is empty');
    const missing = (await setupWarnings({ allowUrls: ['https://example.com'], denyHosts: ['10.0.0.1'] }, { env: {}, chromiumLocations: [join(dir, 'nope')] })).join('\n');
    expect(missing).toContain('no Chromium found');
    expect(await setupWarnings({ allowUrls: ['https://example.com'], denyHosts: ['10.0.0.1'] }, { env: {}, chromiumLocations: ['/usr/bin/chromium'] })).toEqual([]);
    const openDir = join(dir, 'open-profiles');
    await mkdir(openDir, { mode: 0o755 });
    await chmod(openDir, 0o755);
    const profiles = (await setupWarnings({ allowUrls: ['https://example.com'], denyHosts: ['10.0.0.1'], profilesDir: openDir }, { chromiumLocations: ['/usr/bin/chromium'] })).join('\n');
    expect(profiles).toContain(`chmod 700 ${openDir}`);
  });
});

describe('finding Chromium', () => {
  it('takes grants.chromiumPath, then CHROME_PATH, then the usual locations', async () => {
    const fake = join(dir, 'fake-chrome');
    await writeFile(fake, '#!/bin/sh\n');
    await chmod(fake, 0o755);
    expect(await findChromium(fake, { CHROME_PATH: '/nowhere' }, [])).toBe(fake);
    expect(await findChromium(undefined, { CHROME_PATH: fake }, [])).toBe(fake);
    expect(await findChromium(undefined, {}, [join(dir, 'missing'), fake])).toBe(fake);
  });

  it('fails with PALYRA_E_EXEC_FAILED naming what to install or fix', async () => {
    const notExecutable = join(dir, 'plain-file');
    await writeFile(notExecutable, '');
    await chmod(notExecutable, 0o644);
    const cases: [() => Promise<string>, RegExp][] = [
      [() => findChromium(undefined, {}, [join(dir, 'missing')]), /no Chromium found on this node: install Chromium \(Debian\/Ubuntu: apt-get install chromium\)/],
      [() => findChromium(join(dir, 'missing'), {}, []), /from grants.chromiumPath\) does not exist/],
      [() => findChromium(undefined, { CHROME_PATH: notExecutable }, []), /from CHROME_PATH\) is not executable/],
      [() => findChromium(undefined, { CHROME_PATH: 'chromium' }, []), /not an absolute path/],
    ];
    for (const [find, message] of cases) {
      const error = await find().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PalyraError);
      expect((error as PalyraError).code).toBe('PALYRA_E_EXEC_FAILED');
      expect((error as PalyraError).message).toMatch(message);
    }
  });

  it('a dispatch with no Chromium fails with that error, before any page', async () => {
    const plugin = createBrowserPlugin({ env: {}, chromiumLocations: [join(dir, 'missing')] });
    const navigate = plugin.capabilities[0]!;
    const error = await navigate.execute({ url: 'http://127.0.0.1:9/' }, makeCtx({ allowUrls: ['http://127.0.0.1:*'] })).catch((e: unknown) => e);
    expect((error as PalyraError).code).toBe('PALYRA_E_EXEC_FAILED');
    expect((error as PalyraError).message).toContain('apt-get install chromium');
    await plugin.dispose?.();
  });
});

describe('the browser plugin schemas', () => {
  const grants = compileSchema(BROWSER_GRANTS_SCHEMA, 'grants');
  const input = (id: string) => compileSchema(browserPlugin.capabilities.find((c) => c.id === id)!.inputSchema, id);

  it('accept real grants and inputs', () => {
    expect(
      grants({
        allowUrls: ['https://*.example.com'],
        denyUrls: ['https://example.com/admin/*'],
        denyHosts: ['127.0.0.1:7443'],
        chromiumPath: '/usr/bin/chromium',
        noSandbox: false,
        profilesDir: '/var/lib/palyra/browser-profiles',
        maxPages: 4,
        timeoutMs: 30_000,
        maxOutputBytes: 1_000_000,
      }),
    ).toEqual([]);
    expect(input('browser.navigate')({ url: 'https://example.com', profile: 'ops-1', timeoutMs: 5000, waitUntil: 'networkidle', viewport: { width: 800, height: 600 } })).toEqual([]);
    expect(input('browser.fill')({ url: 'https://example.com', fields: [{ selector: '#q', value: 'x' }], submit: 'button' })).toEqual([]);
    expect(input('browser.pdf')({ url: 'https://example.com', format: 'Letter', landscape: true })).toEqual([]);
  });

  it('reject malformed inputs', () => {
    for (const [id, bad] of [
      ['browser.navigate', {}],
      ['browser.navigate', { url: 'https://a', extra: 1 }],
      ['browser.navigate', { url: 'https://a', profile: '../etc' }],
      ['browser.navigate', { url: 'https://a', profile: '.hidden' }],
      ['browser.navigate', { url: 'https://a', viewport: { width: 10, height: 10 } }],
      ['browser.click', { url: 'https://a' }],
      ['browser.fill', { url: 'https://a', fields: [] }],
      ['browser.pdf', { url: 'https://a', format: 'B5' }],
    ] as const) {
      expect(input(id)(bad), `${id} ${JSON.stringify(bad)}`).not.toEqual([]);
    }
    expect(grants({ maxOutputBytes: 5_000_000 })).not.toEqual([]);
  });

  it('execute itself refuses invalid input with PALYRA_E_INPUT_INVALID', async () => {
    const error = await browserPlugin.capabilities[0]!.execute({ url: '' }, makeCtx({})).catch((e: unknown) => e);
    expect((error as PalyraError).code).toBe('PALYRA_E_INPUT_INVALID');
  });
});
