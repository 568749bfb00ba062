import type { DaemonEvent } from '@palyra/shared/quic';

/**
 * Tells a fan-out when offline nodes come online, from the daemon's `node.online` events.
 * Remembers the last time each target came online (only targets: bounded by the fan-out),
 * so a node that came back between its refused dispatch and the wait is not missed.
 */
export class OnlineWatcher {
  private readonly lastOnline = new Map<string, number>();
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly targets: ReadonlySet<string>) {}

  /** Reads `events` until they end or fail (the fan-out then falls back to its periodic retry). */
  async follow(events: AsyncIterable<DaemonEvent>): Promise<void> {
    try {
      for await (const event of events) {
        if (event.type !== 'node.online' || !this.targets.has(event.deviceId)) continue;
        this.lastOnline.set(event.deviceId, Date.now());
        for (const wake of this.waiters.get(event.deviceId) ?? []) wake();
      }
    } catch {
      // A lost event stream only costs the faster wake-up.
    }
  }

  /**
   * Resolves when `deviceId` came online after `since`, or after `retryMs` (the caller then
   * tries again: an event may be lost), or at `deadline` or on abort, whichever comes first.
   */
  wait(deviceId: string, since: number, deadline: number, retryMs: number, signal: AbortSignal): Promise<void> {
    if ((this.lastOnline.get(deviceId) ?? 0) >= since || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const set = this.waiters.get(deviceId) ?? new Set<() => void>();
      this.waiters.set(deviceId, set);
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(deviceId);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(retryMs, deadline - Date.now())));
      signal.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }
}
