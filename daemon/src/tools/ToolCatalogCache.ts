import type { Logger } from '@palyra/shared/logging';
import { memoizedToolCatalog } from './memoizedToolCatalog.js';
import type { ToolCatalog, ToolsBackend } from './types.js';

export interface ToolCatalogCacheOptions {
  /** Called after a recomputation whose digest differs from the previous catalog's. */
  onChange?: (catalog: ToolCatalog) => void;
  /** Node events arrive in bursts (a fleet reconnecting): one recomputation per burst. */
  debounceMs?: number;
  /**
   * At least this long between two recomputations started by events: ListNodes reads the whole
   * fleet the caller sees, and a fleet that keeps reconnecting must not turn into one read per
   * node event per session. Default 2 s.
   */
  minIntervalMs?: number;
  /**
   * Wait before following the events again after the stream failed (the daemon restarting),
   * doubled after each failure in a row up to maxRetryMs.
   */
  retryMs?: number;
  maxRetryMs?: number;
  logger?: Logger;
}

const DEFAULT_DEBOUNCE_MS = 250;
const DEFAULT_RETRY_MS = 2_000;
const DEFAULT_MAX_RETRY_MS = 60_000;
const DEFAULT_MIN_INTERVAL_MS = 2_000;

/**
 * The catalog of one caller, kept until a node event (a node online or offline: it registered
 * with new capabilities, left, or was removed) makes it stale. ListNodes runs again only then,
 * never per listing, and `onChange` fires only when the digest (what a listing shows) changed.
 */
export class ToolCatalogCache {
  private current: Promise<ToolCatalog> | undefined;
  private digest: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastComputeAt = 0;
  private watching = false;
  private readonly controller = new AbortController();

  constructor(
    private readonly backend: ToolsBackend,
    private readonly options: ToolCatalogCacheOptions = {},
  ) {}

  /** The catalog, recomputed if a node event made it stale. */
  get(): Promise<ToolCatalog> {
    this.current ??= this.compute();
    return this.current;
  }

  /** Drops the cached catalog and computes it again now. */
  refresh(): Promise<ToolCatalog> {
    this.current = this.compute();
    return this.current;
  }

  /**
   * Follows the node events from now on (idempotent). A catalog computed before (a session
   * that called tools before listing them) saw none of the events until now: it is dropped, so
   * the next get() reads the node list again instead of serving it for ever.
   */
  watch(): void {
    if (this.watching || this.controller.signal.aborted) return;
    this.watching = true;
    this.current = undefined;
    void this.follow();
  }

  close(): void {
    this.controller.abort();
    clearTimeout(this.timer);
  }

  private compute(): Promise<ToolCatalog> {
    this.lastComputeAt = Date.now();
    const computing = this.backend.listNodes({ signal: this.controller.signal }).then((nodes) => {
      const catalog = memoizedToolCatalog(nodes);
      const changed = this.digest !== undefined && this.digest !== catalog.digest;
      this.digest = catalog.digest;
      if (changed && !this.controller.signal.aborted) this.options.onChange?.(catalog);
      return catalog;
    });
    // A failed computation is not cached: the next get() asks again.
    computing.catch(() => {
      if (this.current === computing) this.current = undefined;
    });
    return computing;
  }

  private stale(): void {
    // A recomputation already waiting covers this event too; never pushed back, so a fleet
    // whose events never pause still gets its catalog refreshed.
    if (this.timer !== undefined || this.controller.signal.aborted) return;
    const debounce = this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    const throttle = this.lastComputeAt + (this.options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS) - Date.now();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refresh().catch((error: unknown) => this.options.logger?.warn({ err: error }, 'tools: the node list could not be read to refresh the tool catalog'));
    }, Math.max(debounce, throttle));
    this.timer.unref();
  }

  private async follow(): Promise<void> {
    const signal = this.controller.signal;
    const retryMs = this.options.retryMs ?? DEFAULT_RETRY_MS;
    const maxRetryMs = Math.max(retryMs, this.options.maxRetryMs ?? DEFAULT_MAX_RETRY_MS);
    // Failures in a row: a daemon that stays away, or a token revoked while the session lives
    // (each attempt then an authentication failure the daemon throttles and audits), is asked
    // less and less often, not every retryMs forever.
    let failures = 0;
    while (!signal.aborted) {
      const openedAt = Date.now();
      let received = false;
      try {
        // Every node event makes the catalog stale, whatever the node: which ones the caller
        // sees is the daemon's answer to ListNodes.
        for await (const event of this.backend.streamEvents({ types: ['node.online', 'node.offline'], signal })) {
          received = true;
          if (event.type === 'node.online' || event.type === 'node.offline') this.stale();
        }
      } catch (error) {
        if (signal.aborted) return;
        this.options.logger?.warn({ err: error }, 'tools: the daemon event stream ended; following it again');
      }
      if (signal.aborted) return;
      // A stream that delivered events or lived long was healthy: start over from retryMs.
      failures = received || Date.now() - openedAt >= maxRetryMs ? 1 : failures + 1;
      // Events may have been missed while the stream was down.
      this.stale();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(maxRetryMs, retryMs * 2 ** Math.min(failures - 1, 20)));
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
  }
}
