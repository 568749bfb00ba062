import type { Logger } from '@palyra/shared/logging';
import { buildToolCatalog } from './buildToolCatalog.js';
import type { ToolCatalog, ToolsBackend } from './types.js';

export interface ToolCatalogCacheOptions {
  /** Called after a recomputation whose digest differs from the previous catalog's. */
  onChange?: (catalog: ToolCatalog) => void;
  /** Node events arrive in bursts (a fleet reconnecting): one recomputation per burst. */
  debounceMs?: number;
  /** Wait before following the events again after the stream failed (the daemon restarting). */
  retryMs?: number;
  logger?: Logger;
}

const DEFAULT_DEBOUNCE_MS = 250;
const DEFAULT_RETRY_MS = 2_000;

/**
 * The catalog of one caller, kept until a node event (a node online or offline: it registered
 * with new capabilities, left, or was removed) makes it stale. ListNodes runs again only then,
 * never per listing, and `onChange` fires only when the digest (what a listing shows) changed.
 */
export class ToolCatalogCache {
  private current: Promise<ToolCatalog> | undefined;
  private digest: string | undefined;
  private timer: NodeJS.Timeout | undefined;
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

  /** Follows the node events from now on (idempotent). */
  watch(): void {
    if (this.watching || this.controller.signal.aborted) return;
    this.watching = true;
    void this.follow();
  }

  close(): void {
    this.controller.abort();
    clearTimeout(this.timer);
  }

  private compute(): Promise<ToolCatalog> {
    const computing = this.backend.listNodes({ signal: this.controller.signal }).then((nodes) => {
      const catalog = buildToolCatalog(nodes);
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
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.refresh().catch((error: unknown) => this.options.logger?.warn({ err: error }, 'tools: the node list could not be read to refresh the tool catalog'));
    }, this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
    this.timer.unref();
  }

  private async follow(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      try {
        // Every node event makes the catalog stale, whatever the node: which ones the caller
        // sees is the daemon's answer to ListNodes.
        for await (const event of this.backend.streamEvents({ types: ['node.online', 'node.offline'], signal })) {
          if (event.type === 'node.online' || event.type === 'node.offline') this.stale();
        }
      } catch (error) {
        if (signal.aborted) return;
        this.options.logger?.warn({ err: error }, 'tools: the daemon event stream ended; following it again');
      }
      if (signal.aborted) return;
      // Events may have been missed while the stream was down.
      this.stale();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.retryMs ?? DEFAULT_RETRY_MS);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
  }
}
