/**
 * A counting semaphore for open pages: at most `limit` at once across every dispatch; the
 * others wait in arrival order. A waiter whose signal fires leaves the queue at once.
 */
export class PageSlots {
  private used = 0;
  private readonly waiting: { limit: number; grant: () => void }[] = [];

  get inUse(): number {
    return this.used;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with a release function once a slot is free; rejects with `onAbort()` if the
   * signal fires first. Release is idempotent.
   */
  acquire(limit: number, signal: AbortSignal, onAbort: () => Error): Promise<() => void> {
    if (signal.aborted) return Promise.reject(onAbort());
    if (this.used < limit && this.waiting.length === 0) {
      this.used += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const entry = {
        limit,
        grant: () => {
          signal.removeEventListener('abort', abort);
          this.used += 1;
          resolve(this.releaser());
        },
      };
      const abort = (): void => {
        const index = this.waiting.indexOf(entry);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(onAbort());
        this.wake();
      };
      signal.addEventListener('abort', abort, { once: true });
      this.waiting.push(entry);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= 1;
      this.wake();
    };
  }

  private wake(): void {
    for (;;) {
      const next = this.waiting[0];
      if (next === undefined || this.used >= next.limit) return;
      this.waiting.shift();
      next.grant();
    }
  }
}
