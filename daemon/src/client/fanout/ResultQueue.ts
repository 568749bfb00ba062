/**
 * Results handed from the fan-out's workers to its reader. The workers wait for the reader
 * (`push` resolves once it took the item when more than `highWater` wait), so results never
 * pile up in memory faster than the caller prints them.
 */
export class ResultQueue<T> {
  private readonly items: T[] = [];
  private readonly spaceWaiters: Array<() => void> = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly highWater = 64) {}

  async push(item: T): Promise<void> {
    this.items.push(item);
    this.wake?.();
    while (this.items.length > this.highWater) await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
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
