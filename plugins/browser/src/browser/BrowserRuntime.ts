import type { PluginLogger } from '@palyra/shared/plugins';
import type { ResolvedGrants } from '../grants.js';
import { PolicyProxy, type ProxyDenial } from '../policy/PolicyProxy.js';
import { systemLookup, type HostLookup } from '../policy/resolveHost.js';
import { UrlPolicy } from '../policy/UrlPolicy.js';
import { ProfileStore } from '../session/ProfileStore.js';
import { CHROMIUM_LOCATIONS, findChromium } from './findChromium.js';
import { chromiumEnv, useSandbox } from './launchOptions.js';
import { PageSlots } from './PageSlots.js';
import { SharedBrowser, type LiveBrowser } from './SharedBrowser.js';

export interface BrowserRuntimeOptions {
  /** Where CHROME_PATH and the variables the browser keeps come from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Added to the browser's environment (tests use it to find their processes). */
  launchEnv?: Readonly<Record<string, string>>;
  /** Name resolution for the policy. Default: the OS resolver. */
  resolve?: HostLookup;
  /** Where to look for Chromium when neither the grants nor CHROME_PATH say. */
  chromiumLocations?: readonly string[];
}

/**
 * What the plugin's dispatches share: the browser process, the policy proxy in front of it,
 * the page slots and the profile locks. One per plugin instance. Grants are the same for
 * every dispatch of a plugin (the host hands out one frozen object); the policy the browser
 * enforces is the latest grants seen, so it also follows a test that changes them.
 */
export class BrowserRuntime {
  readonly slots = new PageSlots();
  readonly profiles = new ProfileStore();
  logger: PluginLogger | undefined;
  private policy = new UrlPolicy([], [], []);
  private proxy: Promise<PolicyProxy> | undefined;
  private readonly shared: SharedBrowser;
  private readonly resolve: HostLookup;

  constructor(private readonly options: BrowserRuntimeOptions = {}) {
    this.resolve = options.resolve ?? systemLookup;
    this.shared = new SharedBrowser({
      policy: () => this.policy,
      resolve: this.resolve,
      env: chromiumEnv(options.env ?? process.env, options.launchEnv),
      logger: {
        debug: (m, f) => this.logger?.debug(m, f),
        info: (m, f) => this.logger?.info(m, f),
        warn: (m, f) => this.logger?.warn(m, f),
        error: (m, f) => this.logger?.error(m, f),
      },
    });
  }

  /** Makes these grants' policy the one the browser and the proxy enforce. */
  use(grants: ResolvedGrants): void {
    this.policy = grants.policy;
  }

  /** The shared browser, launched (with the proxy) when none runs. */
  browser(grants: ResolvedGrants): Promise<LiveBrowser> {
    this.use(grants);
    return this.shared.get(async () => {
      const executablePath = await findChromium(grants.chromiumPath, this.options.env ?? process.env, this.options.chromiumLocations ?? CHROMIUM_LOCATIONS);
      const proxy = await this.startProxy();
      return { executablePath, sandbox: useSandbox(grants.noSandbox), proxyUrl: proxy.url };
    });
  }

  /**
   * Called when `live` failed to open a context: if it is dead or dying (not connected, or its
   * process gone), forgets it so the next `browser()` starts another. True when it was retired.
   */
  retire(live: LiveBrowser): Promise<boolean> {
    return this.shared.retire(live);
  }

  /** The proxy's latest refusal of host:port, if it refused one. */
  async proxyDenialFor(host: string, port: number): Promise<ProxyDenial | undefined> {
    return (await this.proxy?.catch(() => undefined))?.denialFor(host, port);
  }

  /** Closes the browser, then the proxy. Safe to call more than once; a later dispatch starts them again. */
  async dispose(): Promise<void> {
    await this.shared.close();
    const proxy = this.proxy;
    this.proxy = undefined;
    await (await proxy?.catch(() => undefined))?.close();
  }

  private startProxy(): Promise<PolicyProxy> {
    if (this.proxy === undefined) {
      const starting = PolicyProxy.start({ policy: () => this.policy, resolve: this.resolve, logger: this.logger });
      this.proxy = starting;
      starting.catch(() => {
        if (this.proxy === starting) this.proxy = undefined;
      });
    }
    return this.proxy;
  }
}
