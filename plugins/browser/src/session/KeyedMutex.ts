import { raceAbort } from './abort.js';

/** One holder per key at a time, in arrival order; a waiter whose signal fires gives up its turn. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async acquire(key: string, signal: AbortSignal, onAbort: () => Error): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let unlock!: () => void;
    const mine = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    try {
      await raceAbort(previous, signal, onAbort);
    } catch (error) {
      unlock();
      throw error;
    }
    return unlock;
  }
}
