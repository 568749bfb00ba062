import type { BrowserContext, BrowserContextOptions } from 'playwright-core';
import { PalyraError } from '@palyra/shared/errors';
import type { CapabilityContext } from '@palyra/shared/plugins';
import type { BrowserRuntime } from '../browser/BrowserRuntime.js';
import type { LiveBrowser } from '../browser/SharedBrowser.js';
import { denied, firstLine, isClosedError } from '../errors.js';
import { resolveGrants, type BrowserGrants, type ResolvedGrants } from '../grants.js';
import { truncate } from '../policy/UrlPolicy.js';
import { abortError, raceAbort } from './abort.js';
import { Budget } from './Budget.js';
import { PageSession, type WaitUntil } from './PageSession.js';

/** The input every browser capability takes. */
export interface PageInput {
  url: string;
  /** A named profile: cookies kept between dispatches (needs grants.profilesDir). */
  profile?: string;
  /** Time for the dispatch's page work (from a fresh context to the result). At most grants.timeoutMs, which is the default. */
  timeoutMs?: number;
  waitUntil?: WaitUntil;
  viewport?: { width: number; height: number };
}

export const DEFAULT_VIEWPORT = Object.freeze({ width: 1280, height: 720 });

/**
 * Runs `work` on a fresh page at `input.url`:
 * 1. checks first, before anything starts: the URL against the policy, timeoutMs against the
 *    grant, the profile against grants.profilesDir;
 * 2. waits for the profile when another dispatch uses it, then for a page slot (grants.maxPages);
 * 3. a new browser context (the profile's cookies loaded), one page, the navigation, `work`;
 * 4. the profile saved when `work` succeeded; the context closed whatever happened.
 * When ctx.signal fires the context is closed at once and the dispatch ends cancelled or
 * timed out; a browser that dies under the dispatch is PALYRA_E_PLUGIN_FAILED.
 */
export async function withPage<T>(
  runtime: BrowserRuntime,
  capability: string,
  input: PageInput,
  ctx: CapabilityContext<BrowserGrants>,
  work: (session: PageSession, grants: ResolvedGrants) => Promise<T>,
): Promise<T> {
  const grants = resolveGrants(ctx.grants);
  runtime.use(grants);
  const verdict = grants.policy.checkNavigation(input.url);
  if (!verdict.allowed) throw denied(input.url, verdict.reason);
  if (input.timeoutMs !== undefined && input.timeoutMs > grants.timeoutMs) {
    throw new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `timeoutMs ${input.timeoutMs} is over the ${grants.timeoutMs} ms this node allows (grants.timeoutMs)`, {
      details: { timeoutMs: input.timeoutMs, max: grants.timeoutMs },
    });
  }
  const profilesDir = grants.profilesDir;
  if (input.profile !== undefined && profilesDir === undefined) {
    throw new PalyraError('PALYRA_E_CAPABILITY_DENIED', `profile "${input.profile}" refused: this node grants no profilesDir, so every dispatch gets a fresh context`);
  }
  const stopped = (): PalyraError => abortError(ctx.signal, ctx.deadline, `${capability} ${truncate(input.url)}`);

  // The profile first: a dispatch waiting for its profile does not hold a page slot meanwhile.
  const unlockProfile =
    input.profile === undefined || profilesDir === undefined ? () => {} : await runtime.profiles.lock(profilesDir, input.profile, ctx.signal, stopped);
  try {
    const releaseSlot = await runtime.slots.acquire(grants.maxPages, ctx.signal, stopped);
    try {
      const storageState = input.profile === undefined || profilesDir === undefined ? undefined : await runtime.profiles.load(profilesDir, input.profile);
      const { live, context } = await openContext(runtime, grants, ctx.signal, stopped, {
        viewport: input.viewport ?? DEFAULT_VIEWPORT,
        deviceScaleFactor: 1,
        serviceWorkers: 'block',
        acceptDownloads: false,
        ...(storageState === undefined ? {} : { storageState }),
      });
      // The budget is for the page: it starts once the browser (maybe just launched) gave a context.
      const budget = new Budget(input.timeoutMs ?? grants.timeoutMs, ctx.deadline);
      const closeNow = (): void => void context.close().catch(() => {});
      ctx.signal.addEventListener('abort', closeNow, { once: true });
      try {
        context.setDefaultTimeout(budget.remaining());
        const result = await raceAbort(
          (async () => {
            const page = await context.newPage();
            const session = new PageSession(page, budget, live.guard, (host, port) => runtime.proxyDenialFor(host, port));
            await session.goto(input.url, input.waitUntil ?? 'load');
            return work(session, grants);
          })(),
          ctx.signal,
          stopped,
        );
        if (input.profile !== undefined && profilesDir !== undefined) {
          await runtime.profiles.save(profilesDir, input.profile, await context.storageState());
        }
        return result;
      } catch (error) {
        if (ctx.signal.aborted) throw isAbortError(error) ? error : stopped();
        throw translate(error, live);
      } finally {
        ctx.signal.removeEventListener('abort', closeNow);
        await context.close().catch(() => {});
      }
    } finally {
      releaseSlot();
    }
  } finally {
    unlockProfile();
  }
}

/**
 * A new context in the shared browser. A browser found dead at this point (killed or crashed
 * since the last dispatch, its end not noticed yet) is replaced once.
 */
async function openContext(
  runtime: BrowserRuntime,
  grants: ResolvedGrants,
  signal: AbortSignal,
  stopped: () => PalyraError,
  options: BrowserContextOptions,
): Promise<{ live: LiveBrowser; context: BrowserContext }> {
  for (let attempt = 1; ; attempt += 1) {
    const live = await raceAbort(runtime.browser(grants), signal, stopped);
    const creating = live.browser.newContext(options);
    try {
      return { live, context: await raceAbort(creating, signal, stopped) };
    } catch (error) {
      void creating.then((late) => late.close()).catch(() => {});
      if (signal.aborted || attempt >= 2 || !(await runtime.retire(live))) throw translate(error, live);
    }
  }
}

function isAbortError(error: unknown): boolean {
  return error instanceof PalyraError && (error.code === 'PALYRA_E_CANCELLED' || error.code === 'PALYRA_E_TIMEOUT');
}

/** PalyraErrors pass; the browser dying under the dispatch gets a message that says so. */
function translate(error: unknown, live: LiveBrowser): unknown {
  if (error instanceof PalyraError) return error;
  if (!live.browser.isConnected() || isClosedError(error)) {
    return new PalyraError(
      'PALYRA_E_PLUGIN_FAILED',
      `the browser process ${live.browser.isConnected() ? 'closed the page' : 'exited'} during the dispatch (${firstLine(error)}); the next dispatch starts a new one`,
      { cause: error, details: { pid: live.pid } },
    );
  }
  return error;
}
