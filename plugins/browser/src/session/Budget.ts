/** Margin kept before the dispatch deadline, so the plugin's own clear timeout error wins. */
export const DEADLINE_MARGIN_MS = 250;

/**
 * The time a dispatch may spend on its page: `timeoutMs` from the start, and never past the
 * dispatch deadline (less a small margin). Every Playwright call gets what is left.
 */
export class Budget {
  readonly until: number;
  /** What the budget came to: `timeoutMs`, or less when the deadline is nearer. */
  readonly totalMs: number;

  constructor(
    readonly timeoutMs: number,
    deadline: Date,
    now = Date.now(),
  ) {
    this.until = Math.min(now + timeoutMs, deadline.getTime() - DEADLINE_MARGIN_MS);
    this.totalMs = Math.max(0, this.until - now);
  }

  /** Milliseconds left, at least 1 (Playwright reads 0 as "no timeout"). */
  remaining(): number {
    return Math.max(1, this.until - Date.now());
  }
}
