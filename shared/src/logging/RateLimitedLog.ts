import type { Logger } from 'pino';

export type RateLimitedLevel = 'debug' | 'info' | 'warn' | 'error';

export interface RateLimitedLogOptions {
  logger: Logger;
  /** Length of one summary interval. Default 60 s. */
  intervalMs?: number;
}

interface Window {
  level: RateLimitedLevel;
  message: string;
  /** Occurrences since the line or summary last written. */
  suppressed: number;
  /** Fields of the latest suppressed occurrence, for the summary. */
  fields: Record<string, unknown>;
  timer: NodeJS.Timeout;
}

/**
 * Log lines a peer can trigger at will (refused connections, failed pairing attempts), bounded:
 * the first occurrence of a key is written at once; later ones within the interval are only
 * counted, and at the end of the interval one summary line says how many there were (with the
 * fields of the latest). An interval without any occurrence ends the window, so the next one is
 * again written at once. Keys come from a small fixed set chosen by the caller (never from
 * peer input), so the number of windows is bounded by the code, not by a peer.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, Window>();
  private readonly intervalMs: number;

  constructor(private readonly options: RateLimitedLogOptions) {
    this.intervalMs = options.intervalMs ?? 60_000;
  }

  note(level: RateLimitedLevel, key: string, fields: Record<string, unknown>, message: string): void {
    const window = this.windows.get(key);
    if (window !== undefined) {
      window.suppressed += 1;
      window.fields = fields;
      return;
    }
    this.options.logger[level](fields, message);
    const timer = setTimeout(() => this.endInterval(key), this.intervalMs);
    timer.unref();
    this.windows.set(key, { level, message, suppressed: 0, fields, timer });
  }

  /** Writes the pending summaries and stops every timer. */
  stop(): void {
    for (const key of [...this.windows.keys()]) {
      const window = this.windows.get(key);
      if (window === undefined) continue;
      clearTimeout(window.timer);
      this.windows.delete(key);
      this.writeSummary(window);
    }
  }

  private endInterval(key: string): void {
    const window = this.windows.get(key);
    if (window === undefined) return;
    if (window.suppressed === 0) {
      this.windows.delete(key);
      return;
    }
    this.writeSummary(window);
    window.suppressed = 0;
    window.timer.refresh();
  }

  private writeSummary(window: Window): void {
    if (window.suppressed === 0) return;
    this.options.logger[window.level](
      { ...window.fields, suppressed: window.suppressed, intervalMs: this.intervalMs },
      `${window.message} (${window.suppressed} more since the last line like this)`,
    );
  }
}
