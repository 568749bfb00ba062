import type { Logger } from '@palyra/shared/logging';
import type { DaemonEvent, DaemonEventType } from '@palyra/shared/quic';
import { logFailure } from '../logging/logFailure.js';

export interface EventFilter {
  /** Only these types; undefined: all. */
  types?: ReadonlySet<DaemonEventType>;
  /** Only events about this device (a node's own subscription). */
  deviceId?: string;
}

export type DaemonEventListener = (event: DaemonEvent) => void;

interface Subscriber {
  filter: EventFilter;
  listener: DaemonEventListener;
}

/**
 * The daemon's event bus: dispatch state changes, nodes going online and offline, pairing
 * requests. Publishers call publish(); subscribers (operators on the admin socket, nodes over
 * QUIC) get the events their filter lets through. A throwing listener is dropped, it never
 * breaks the publisher; the throw is logged (error: listeners are the daemon's own code, so a
 * throw is a bug, and each listener throws at most once).
 */
export class DaemonEvents {
  private readonly subscribers = new Set<Subscriber>();

  constructor(private readonly options: { logger?: Logger } = {}) {}

  subscribe(filter: EventFilter, listener: DaemonEventListener): () => void {
    const subscriber: Subscriber = { filter, listener };
    this.subscribers.add(subscriber);
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  publish(event: DaemonEvent): void {
    for (const subscriber of [...this.subscribers]) {
      const { types, deviceId } = subscriber.filter;
      if (types !== undefined && !types.has(event.type)) continue;
      if (deviceId !== undefined && event.deviceId !== deviceId) continue;
      try {
        subscriber.listener(event);
      } catch (error) {
        this.subscribers.delete(subscriber);
        logFailure(this.options.logger, 'error', 'event listener threw: unsubscribed', error, { eventType: event.type });
      }
    }
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }
}
