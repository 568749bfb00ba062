import type { Page, Request, Response } from 'playwright-core';
import { PalyraError } from '@palyra/shared/errors';
import { denied, firstLine, isTimeoutError, netError } from '../errors.js';
import { DENIED_HEADER, UPSTREAM_ERROR_HEADER } from '../policy/PolicyProxy.js';
import type { RequestGuard } from '../policy/RequestGuard.js';
import { truncate } from '../policy/UrlPolicy.js';
import type { Budget } from './Budget.js';

export type WaitUntil = 'load' | 'domcontentloaded' | 'networkidle' | 'commit';

export interface BlockedRequest {
  url: string;
  reason: string;
}

/** What every capability returns about the page it worked on. */
export interface PageSummary {
  /** The page's URL at the end (after redirects and navigations). */
  url: string;
  /** HTTP status of the latest main-frame document response; null when none (about:blank). */
  status: number | null;
  title: string;
  /** Requests the policy refused while the dispatch ran (at most 20). */
  blocked: BlockedRequest[];
}

export const MAX_BLOCKED_REPORTED = 20;

/** Looks up why a connection was refused by the proxy, for messages. */
export type ProxyDenials = (host: string, port: number) => Promise<{ reason: string } | undefined>;

/**
 * One dispatch's page: navigation under the budget, the main frame's status, the requests
 * the policy refused, and Playwright errors turned into PalyraErrors with clear messages.
 */
export class PageSession {
  private status: number | null = null;
  private proxyProblem: PalyraError | undefined;
  private readonly blocked: BlockedRequest[] = [];
  /** Main-frame navigations that failed, in order. */
  private readonly failedNavigations: { url: string; error: string }[] = [];

  constructor(
    readonly page: Page,
    readonly budget: Budget,
    private readonly guard: RequestGuard,
    private readonly proxyDenials: ProxyDenials,
  ) {
    page.on('response', (response) => this.onResponse(response));
    page.on('requestfailed', (request) => this.onRequestFailed(request));
  }

  /** Opens `url` (already checked against the policy) and waits for `waitUntil`. */
  async goto(url: string, waitUntil: WaitUntil): Promise<void> {
    const failuresBefore = this.failedNavigations.length;
    this.proxyProblem = undefined;
    try {
      await this.page.goto(url, { waitUntil, timeout: this.budget.remaining() });
    } catch (error) {
      if (isTimeoutError(error)) {
        throw new PalyraError('PALYRA_E_TIMEOUT', `${truncate(url, 500)} did not finish loading (waitUntil: ${waitUntil}) within ${this.budget.totalMs} ms`, {
          cause: error,
          details: { url: truncate(url, 2048), waitUntil, timeoutMs: this.budget.totalMs },
        });
      }
      throw (await this.navigationFailure(failuresBefore, url, error)) ?? error;
    }
    const problem = this.takeProxyProblem();
    if (problem !== undefined) throw problem;
  }

  /**
   * Runs one step (click, fill, screenshot...) under the budget. With `waitUntil`, then waits
   * for the page to reach that state, and fails as a navigation would (denied, network error)
   * when the step started one that failed.
   */
  async act<T>(what: string, action: (timeout: number) => Promise<T>, waitUntil?: WaitUntil): Promise<T> {
    const failuresBefore = this.failedNavigations.length;
    this.proxyProblem = undefined;
    let result: T;
    try {
      result = await action(this.budget.remaining());
      if (waitUntil !== undefined && waitUntil !== 'commit') await this.page.waitForLoadState(waitUntil, { timeout: this.budget.remaining() });
    } catch (error) {
      if (isTimeoutError(error)) {
        throw new PalyraError('PALYRA_E_TIMEOUT', `${what} did not complete within ${this.budget.totalMs} ms: ${firstLine(error)}`, {
          cause: error,
          details: { action: what, timeoutMs: this.budget.totalMs },
        });
      }
      if (/strict mode violation/i.test(firstLine(error))) {
        throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `${what}: the selector matches more than one element (${firstLine(error)}); make it match exactly one`, {
          cause: error,
        });
      }
      throw (await this.navigationFailure(failuresBefore, this.page.url(), error)) ?? error;
    }
    const failure = (await this.navigationFailure(failuresBefore, this.page.url(), undefined)) ?? this.takeProxyProblem();
    if (failure !== undefined) throw failure;
    return result;
  }

  async summary(): Promise<PageSummary> {
    return {
      url: this.page.url(),
      status: this.status,
      title: await this.page.title(),
      blocked: this.blocked.slice(0, MAX_BLOCKED_REPORTED),
    };
  }

  private onResponse(response: Response): void {
    const request = response.request();
    if (!request.isNavigationRequest() || request.frame() !== this.page.mainFrame()) return;
    this.status = response.status();
    // The policy proxy answers itself only for plain http (https is a tunnel it cannot speak in).
    if (!response.url().startsWith('http:')) return;
    const headers = response.headers();
    const refused = headers[DENIED_HEADER];
    const unreachable = headers[UPSTREAM_ERROR_HEADER];
    if (refused !== undefined) this.proxyProblem = denied(response.url(), refused);
    else if (unreachable !== undefined) {
      this.proxyProblem = new PalyraError('PALYRA_E_NAVIGATION_FAILED', `${truncate(response.url(), 500)} could not be loaded: ${unreachable}`, {
        details: { url: truncate(response.url(), 2048), error: unreachable },
      });
    }
  }

  /**
   * A main-frame response that is the policy proxy's own answer, not the server's: a plain-http
   * page whose name resolved to a denied address (403), or a server it could not reach (502).
   */
  private takeProxyProblem(): PalyraError | undefined {
    const problem = this.proxyProblem;
    this.proxyProblem = undefined;
    return problem;
  }

  private onRequestFailed(request: Request): void {
    const error = request.failure()?.errorText ?? 'failed';
    if (error.startsWith('net::ERR_BLOCKED_BY_CLIENT')) {
      const reason = this.guard.denialFor(request.url()) ?? "refused by the node's browser policy";
      this.blocked.push({ url: truncate(request.url(), 2048), reason });
    }
    // ERR_ABORTED: a navigation replaced by another (a script or meta redirect), not a failure.
    if (request.isNavigationRequest() && request.frame() === this.page.mainFrame() && !error.startsWith('net::ERR_ABORTED')) {
      this.failedNavigations.push({ url: request.url(), error });
    }
  }

  /** The error for a main-frame navigation that failed since `since`, if one did. */
  private async navigationFailure(since: number, url: string, error: unknown): Promise<PalyraError | undefined> {
    const failed = this.failedNavigations[since];
    const code = failed?.error ?? netError(error);
    if (code === undefined) return undefined;
    const target = failed?.url ?? url;
    if (code.startsWith('net::ERR_BLOCKED_BY_CLIENT')) {
      const reason = this.guard.denialFor(target) ?? "refused by the node's browser policy";
      return denied(target, reason, target === url ? 'URL' : 'redirect or navigation to');
    }
    if (code.startsWith('net::ERR_TUNNEL_CONNECTION_FAILED')) {
      const denial = await this.proxyDeniedFor(target);
      if (denial !== undefined) return denied(target, denial.reason);
    }
    return new PalyraError('PALYRA_E_NAVIGATION_FAILED', `${truncate(target, 500)} could not be loaded: ${code}`, {
      cause: error,
      details: { url: truncate(target, 2048), error: code },
    });
  }

  private proxyDeniedFor(url: string): Promise<{ reason: string } | undefined> {
    try {
      const parsed = new URL(url);
      const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
      return this.proxyDenials(parsed.hostname.replace(/^\[|\]$/g, ''), port);
    } catch {
      return Promise.resolve(undefined);
    }
  }
}
