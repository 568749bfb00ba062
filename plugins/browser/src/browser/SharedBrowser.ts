import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { PalyraError } from '@palyra/shared/errors';
import type { PluginLogger } from '@palyra/shared/plugins';
import { RequestGuard } from '../policy/RequestGuard.js';
import type { HostLookup } from '../policy/resolveHost.js';
import type { UrlPolicy } from '../policy/UrlPolicy.js';
import { chromiumArgs } from './launchOptions.js';

/** A connected browser with its request guard. */
export interface LiveBrowser {
  readonly browser: Browser;
  readonly guard: RequestGuard;
  /** The browser process id, when Chromium reported it. */
  readonly pid: number | undefined;
}

export interface LaunchSettings {
  readonly executablePath: string;
  readonly sandbox: boolean;
  /** The policy proxy's URL, for `--proxy-server`. */
  readonly proxyUrl: string;
}

export interface SharedBrowserOptions {
  policy: () => UrlPolicy;
  resolve: HostLookup;
  /** The browser's whole environment. */
  env: Readonly<Record<string, string>>;
  logger?: PluginLogger;
  launchTimeoutMs?: number;
}

const DEFAULT_LAUNCH_TIMEOUT_MS = 30_000;

/**
 * The one Chromium process every dispatch shares. Launched on first use (never at setup, so
 * a node that never browses never starts it); when it dies (crash, kill), the next `get()`
 * launches a new one. Concurrent callers during a launch share it.
 */
export class SharedBrowser {
  private current: Promise<LiveBrowser> | undefined;
  /** Browsers being closed on purpose: their 'disconnected' is no news. */
  private readonly closing = new WeakSet<Browser>();
  /**
   * The temp dir of each running browser (its TMPDIR), and its removal once started. Chromium
   * leaves things there (the process-singleton socket dir org.chromium.Chromium.*) that only a
   * clean shutdown removes: a killed or crashed browser would leave them in the system temp dir.
   */
  private readonly tempDirs = new Map<Browser, { dir: string; removed?: Promise<void> }>();

  constructor(private readonly options: SharedBrowserOptions) {}

  /** The running browser, launched with `settings()` when there is none (or it died). */
  async get(settings: () => Promise<LaunchSettings>): Promise<LiveBrowser> {
    for (let attempt = 1; ; attempt += 1) {
      if (this.current === undefined) {
        const launching = this.launch(settings);
        this.current = launching;
        launching.catch(() => {
          if (this.current === launching) this.current = undefined;
        });
      }
      const current = this.current;
      const live = await current;
      if (isAlive(live)) return live;
      // Gone before its 'disconnected' event was handled: start another, once.
      if (this.current === current) this.current = undefined;
      this.closing.add(live.browser);
      void live.browser.close().catch(() => {});
      if (attempt >= 2) throw new PalyraError('PALYRA_E_EXEC_FAILED', 'Chromium exits right after it starts; see the agent log');
    }
  }

  /**
   * Forgets `live` when it is dead: not connected, or its process is gone while the pipe is
   * still held open by its children. True when it was forgotten (and closed).
   */
  async retire(live: LiveBrowser): Promise<boolean> {
    if (isAlive(live)) return false;
    const current = await this.current?.catch(() => undefined);
    if (current === live) this.current = undefined;
    this.closing.add(live.browser);
    await live.browser.close().catch(() => {});
    await this.removeTempDir(live.browser);
    return true;
  }

  /** Closes the browser if one runs or is starting; the next `get()` starts a new one. */
  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    const live = await current?.catch(() => undefined);
    if (live === undefined) return;
    this.closing.add(live.browser);
    await live.browser.close().catch(() => {});
    await this.removeTempDir(live.browser);
  }

  /** Removes the temp dir of a browser that is gone (once; later calls wait for the same removal). */
  private removeTempDir(browser: Browser): Promise<void> {
    const entry = this.tempDirs.get(browser);
    if (entry === undefined) return Promise.resolve();
    entry.removed ??= rm(entry.dir, { recursive: true, force: true, maxRetries: 3 })
      .catch((error: unknown) => this.options.logger?.warn('could not remove the browser temp dir', { dir: entry.dir, error: (error as Error).message }))
      .finally(() => this.tempDirs.delete(browser));
    return entry.removed;
  }

  private async launch(settings: () => Promise<LaunchSettings>): Promise<LiveBrowser> {
    const { executablePath, sandbox, proxyUrl } = await settings();
    const { chromium } = await import('playwright-core');
    const started = Date.now();
    const tempDir = await mkdtemp(join(this.options.env.TMPDIR || tmpdir(), 'palyra-browser-'));
    let browser: Browser;
    try {
      browser = await chromium.launch({
        executablePath,
        headless: true,
        chromiumSandbox: sandbox,
        args: chromiumArgs(proxyUrl, sandbox),
        env: { ...this.options.env, TMPDIR: tempDir },
        timeout: this.options.launchTimeoutMs ?? DEFAULT_LAUNCH_TIMEOUT_MS,
        // The agent handles its own signals and disposes the plugin; Playwright still kills
        // the browser if the agent process exits without that.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
    } catch (error) {
      await rm(tempDir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
      const first = ((error as Error).message ?? String(error)).split('\n')[0] ?? '';
      throw new PalyraError('PALYRA_E_EXEC_FAILED', `Chromium (${executablePath}) did not start: ${first}`, {
        cause: error,
        details: { executablePath },
      });
    }
    this.tempDirs.set(browser, { dir: tempDir });
    try {
      const guard = await RequestGuard.attach(browser, this.options.policy, this.options.resolve, this.options.logger);
      const pid = await browserPid(browser);
      const live: LiveBrowser = { browser, guard, pid };
      const launching = this.current;
      browser.on('disconnected', () => {
        if (this.current === launching) this.current = undefined;
        void this.removeTempDir(browser);
        if (this.closing.has(browser)) this.options.logger?.debug('browser closed', { pid });
        else this.options.logger?.warn('the browser process is gone; the next dispatch starts a new one', { pid });
      });
      this.options.logger?.info('browser started', { pid, version: browser.version(), executablePath, ms: Date.now() - started });
      return live;
    } catch (error) {
      await browser.close().catch(() => {});
      await this.removeTempDir(browser);
      throw new PalyraError('PALYRA_E_EXEC_FAILED', `Chromium (${executablePath}) started but could not be set up: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

async function browserPid(browser: Browser): Promise<number | undefined> {
  try {
    const session = await browser.newBrowserCDPSession();
    try {
      const info = await session.send('SystemInfo.getProcessInfo');
      return info.processInfo.find((p) => p.type === 'browser')?.id;
    } finally {
      await session.detach().catch(() => {});
    }
  } catch {
    return undefined;
  }
}

/** Connected, and its process (when known) still runs: the pipe can outlive a killed browser for a moment. */
function isAlive(live: LiveBrowser): boolean {
  return live.browser.isConnected() && (live.pid === undefined || processAlive(live.pid));
}

/** Whether the process runs (a zombie, dead but not reaped yet, does not). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}
