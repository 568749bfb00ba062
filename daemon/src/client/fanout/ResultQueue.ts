/**
 * Results handed from the fan-out's workers to its reader. The workers wait for the reader
 * (`push` resolves once it took the item when more than `highWater` wait), so results never
 * pile up in memory faster than the caller prints them.
 */
export class ResultQueue<T> {
  private readonly items: T[] = [];
  private readonly spaceWaiters: Array<() => void> = [];
  private ended = false;
  private closed = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly highWater = 64) {}

  async push(item: T): Promise<void> {
    if (this.closed) return;
    this.items.push(item);
    this.wake?.();
    while (this.items.length > this.highWater && !this.closed) await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The reader left: items are dropped from now on and no worker waits for space any more. */
  close(): void {
    this.closed = true;
    this.items.length = 0;
    for (const wake of this.spaceWaiters.splice(0)) wake();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  fail(error: unknown): void {
    this.failure ??= { error };
    this.end();
  }

  async *drain(): AsyncGenerator<T, void, undefined> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        this.spaceWaiters.shift()?.();
        yield item;
        continue;
      }
      if (this.failure) throw this.failure.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
