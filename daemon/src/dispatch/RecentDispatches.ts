import type { Dispatch } from './Dispatch.js';
import { idempotencyKeyOf } from './dispatchRequestRules.js';

/**
 * The dispatches the daemon holds in memory, by id and by idempotency map key
 * (idempotencyKeyOf), oldest first. Bounded: past `maxRetained`, the oldest finished ones are
 * forgotten (the journal keeps them answerable); unfinished ones always stay reachable, since
 * their node's reports and their watchers need the live object.
 */
export class RecentDispatches {
  private readonly byId = new Map<string, Dispatch>();
  private readonly byKey = new Map<string, Dispatch>();

  constructor(
    private readonly maxRetained: number,
    /** Told about each dispatch forgotten, to drop what else is kept about it. */
    private readonly onForget: (dispatch: Dispatch) => void,
  ) {}

  get(dispatchId: string): Dispatch | undefined {
    return this.byId.get(dispatchId);
  }

  /** The dispatch holding this idempotency map key. */
  withKey(key: string): Dispatch | undefined {
    return this.byKey.get(key);
  }

  /** Oldest first. */
  values(): IterableIterator<Dispatch> {
    return this.byId.values();
  }

  remember(dispatch: Dispatch, key: string | undefined): void {
    this.byId.set(dispatch.id, dispatch);
    if (key !== undefined) this.byKey.set(key, dispatch);
    for (const old of this.byId.values()) {
      if (this.byId.size <= this.maxRetained) break;
      if (!old.finished) continue;
      this.forget(old);
    }
  }

  forget(dispatch: Dispatch): void {
    this.byId.delete(dispatch.id);
    this.onForget(dispatch);
    const key = idempotencyKeyOf(dispatch.deviceId, dispatch.idempotencyKey);
    // A newer dispatch may hold the key by now (a retry after a refused one): leave it.
    if (key !== undefined && this.byKey.get(key) === dispatch) this.byKey.delete(key);
  }
}
