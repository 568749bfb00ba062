import type { Browser, CDPSession } from 'playwright-core';
import type { PluginLogger } from '@palyra/shared/plugins';
import { checkResolvedHost, type HostLookup } from './resolveHost.js';
import { resolvableHost, type UrlPolicy, type Verdict } from './UrlPolicy.js';

const DENIALS_KEPT = 200;

/**
 * Checks every request the browser makes against the URL policy before it is sent, with the
 * DevTools protocol's Fetch domain on the browser target: documents, subresources, each hop
 * of a redirect, iframes in other processes, workers. (Playwright's `route()` does not see
 * redirect hops, so it cannot be the gate.) A denied request fails as
 * `net::ERR_BLOCKED_BY_CLIENT`; why is kept for the dispatch to report.
 */
export class RequestGuard {
  /** Denied URL -> reason, the most recent last. */
  private readonly denials = new Map<string, string>();

  private constructor(
    private readonly session: CDPSession,
    private readonly policy: () => UrlPolicy,
    private readonly resolve: HostLookup,
    private readonly logger: PluginLogger | undefined,
  ) {}

  /** Starts checking; every request from then on waits for a verdict. */
  static async attach(browser: Browser, policy: () => UrlPolicy, resolve: HostLookup, logger?: PluginLogger): Promise<RequestGuard> {
    const session = await browser.newBrowserCDPSession();
    const guard = new RequestGuard(session, policy, resolve, logger);
    session.on('Fetch.requestPaused', (event) => void guard.decide(event.requestId, event.request.url));
    await session.send('Fetch.enable', { patterns: [{ urlPattern: '*', requestStage: 'Request' }] });
    return guard;
  }

  /** Why this URL was refused, if it was lately. */
  denialFor(url: string): string | undefined {
    return this.denials.get(url);
  }

  private async decide(requestId: string, url: string): Promise<void> {
    const verdict = await this.check(url);
    try {
      if (verdict.allowed) {
        await this.session.send('Fetch.continueRequest', { requestId });
      } else {
        this.remember(url, verdict.reason);
        await this.session.send('Fetch.failRequest', { requestId, errorReason: 'BlockedByClient' });
      }
    } catch {
      // The page, its context or the browser went away while the request waited.
    }
  }

  private async check(url: string): Promise<Verdict> {
    const policy = this.policy();
    const verdict = policy.checkRequest(url);
    if (!verdict.allowed) return verdict;
    const target = resolvableHost(url);
    return target === undefined ? verdict : checkResolvedHost(policy, target.host, target.port, this.resolve);
  }

  private remember(url: string, reason: string): void {
    this.denials.delete(url);
    this.denials.set(url, reason);
    if (this.denials.size > DENIALS_KEPT) {
      const oldest = this.denials.keys().next();
      if (oldest.done !== true) this.denials.delete(oldest.value);
    }
    this.logger?.debug('browser request refused', { url: url.slice(0, 500), reason });
  }
}
